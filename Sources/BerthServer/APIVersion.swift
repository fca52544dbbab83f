/// An API version such as `1.41`, compared part by part as integers (`1.041` equals `1.41`;
/// parts that are not numbers count as 0, as dockerd does).
public struct APIVersion: Sendable, Comparable, CustomStringConvertible {
    public let parts: [Int]
    public let text: String

    public init(_ text: some StringProtocol) {
        self.text = String(text)
        self.parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) ?? 0 }
    }

    public var description: String { text }

    public static func < (a: APIVersion, b: APIVersion) -> Bool {
        for i in 0..<max(a.parts.count, b.parts.count) {
            let x = i < a.parts.count ? a.parts[i] : 0
            let y = i < b.parts.count ? b.parts[i] : 0
            if x != y { return x < y }
        }
        return false
    }

    public static func == (a: APIVersion, b: APIVersion) -> Bool { !(a < b) && !(b < a) }
}
