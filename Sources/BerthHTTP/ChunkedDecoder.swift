/// An incremental decoder for `Transfer-Encoding: chunked` request bodies. No I/O.
///
/// Feed it unconsumed bytes; each call consumes framing and returns at most one run of body
/// data, as a range of the input. Strict: a size that is not hex, overflows or is missing, or a
/// chunk not followed by CRLF, is a 400.
public struct ChunkedDecoder: Sendable {
    public struct Step: Sendable, Equatable {
        /// Bytes of the input this step used (framing and data).
        public var consumed: Int
        /// Body bytes within the input, if this step produced any.
        public var data: Range<Int>?
    }

    private enum State: Sendable {
        case size(value: Int, digits: Int)
        case sizeTrailingSpace(value: Int)
        case extensions(value: Int, length: Int)
        case sizeLF(value: Int)
        case data(remaining: Int)
        case dataCR, dataLF
        case trailerLineStart(total: Int)
        case trailerLine(total: Int)
        case trailerLF(total: Int, emptyLine: Bool)
        case done
    }

    private var state: State = .size(value: 0, digits: 0)
    private let maxTrailerBytes: Int

    public init(maxTrailerBytes: Int = 64 * 1024) {
        self.maxTrailerBytes = maxTrailerBytes
    }

    /// True once the last chunk and its trailer have been read.
    public var isDone: Bool { if case .done = state { true } else { false } }

    public mutating func decode(_ input: UnsafeRawBufferPointer) throws(HTTPParseError) -> Step {
        var i = 0
        while i < input.count {
            let b = input[i]
            switch state {
            case .size(let value, let digits):
                if let h = Self.hexValue(b) {
                    guard value <= (Int.max - h) >> 4 else { throw .bad("invalid chunk size: overflow") }
                    state = .size(value: value << 4 | h, digits: digits + 1)
                } else {
                    guard digits > 0 else { throw .bad("invalid chunk size") }
                    switch b {
                    case ASCII.cr: state = .sizeLF(value: value)
                    case UInt8(ascii: ";"): state = .extensions(value: value, length: 0)
                    case ASCII.sp, ASCII.htab: state = .sizeTrailingSpace(value: value)
                    default: throw .bad("invalid chunk size")
                    }
                }
            case .sizeTrailingSpace(let value):
                switch b {
                case ASCII.sp, ASCII.htab: break
                case ASCII.cr: state = .sizeLF(value: value)
                case UInt8(ascii: ";"): state = .extensions(value: value, length: 0)
                default: throw .bad("invalid chunk size")
                }
            case .extensions(let value, let length):
                if b == ASCII.cr { state = .sizeLF(value: value) }
                else {
                    guard ASCII.isFieldValue(b), length < 4096 else { throw .bad("invalid chunk extension") }
                    state = .extensions(value: value, length: length + 1)
                }
            case .sizeLF(let value):
                guard b == ASCII.lf else { throw .bad("invalid chunk size line: missing LF") }
                state = value == 0 ? .trailerLineStart(total: 0) : .data(remaining: value)
            case .data(let remaining):
                let n = min(remaining, input.count - i)
                state = remaining == n ? .dataCR : .data(remaining: remaining - n)
                return Step(consumed: i + n, data: i..<(i + n))
            case .dataCR:
                guard b == ASCII.cr else { throw .bad("chunk data not followed by CRLF") }
                state = .dataLF
            case .dataLF:
                guard b == ASCII.lf else { throw .bad("chunk data not followed by CRLF") }
                state = .size(value: 0, digits: 0)
            case .trailerLineStart(let total):
                state = b == ASCII.cr ? .trailerLF(total: total, emptyLine: true) : .trailerLine(total: total + 1)
                if b != ASCII.cr { guard ASCII.isToken(b) else { throw .bad("malformed chunked trailer") } }
            case .trailerLine(let total):
                guard total < maxTrailerBytes else { throw HTTPParseError(.headerFieldsTooLarge, "chunked trailer too large") }
                if b == ASCII.cr { state = .trailerLF(total: total, emptyLine: false) }
                else {
                    guard ASCII.isFieldValue(b) else { throw .bad("malformed chunked trailer") }
                    state = .trailerLine(total: total + 1)
                }
            case .trailerLF(let total, let emptyLine):
                guard b == ASCII.lf else { throw .bad("malformed chunked trailer: missing LF") }
                if emptyLine {
                    state = .done
                    return Step(consumed: i + 1, data: nil)
                }
                state = .trailerLineStart(total: total)
            case .done:
                return Step(consumed: i, data: nil)
            }
            i += 1
        }
        return Step(consumed: i, data: nil)
    }

    @inline(__always) private static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 48...57: Int(b - 48)
        case 65...70: Int(b - 55)
        case 97...102: Int(b - 87)
        default: nil
        }
    }
}
