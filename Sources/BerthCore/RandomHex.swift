/// `count` random lowercase hex digits: IDs of containers, layers, execs.
public func randomHex(_ count: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    let digits = Array("0123456789abcdef")
    return String((0..<count).map { _ in digits[Int(generator.next() % 16)] })
}
