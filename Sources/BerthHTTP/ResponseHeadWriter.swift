/// Serialises a response head: status line, fields, framing and the blank line.
public enum ResponseHeadWriter {
    /// How the body that follows the head is framed.
    public enum Framing: Sendable, Equatable {
        /// `Content-Length: n`.
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// No framing field: a 1xx or 204/304 response, or a body delimited by closing the connection.
        case none
    }

    /// Appends the head to `out`: the status line, `headers`, then `more` (fields kept apart, such
    /// as the daemon's standard ones), `Date` when `date` is set, the framing field, and a
    /// `Connection` field when `connection` is given (`close`, `keep-alive`, `Upgrade`).
    public static func write(status: HTTPStatus, version: HTTPVersion = .http1_1, headers: HTTPHeaders,
                             more: HTTPHeaders? = nil, framing: Framing, date: Bool, connection: StaticString?,
                             into out: inout [UInt8]) {
        out.append(contentsOf: version == .http1_0 ? http10 : http11)
        appendDecimal(status.code, to: &out)
        out.append(ASCII.sp)
        out.append(contentsOf: status.reason.utf8)
        out.append(contentsOf: crlf)
        out.append(contentsOf: headers.encoded)
        if let more { out.append(contentsOf: more.encoded) }
        if date {
            out.append(contentsOf: datePrefix)
            HTTPDate.append(to: &out)
            out.append(contentsOf: crlf)
        }
        switch framing {
        case .length(let n):
            out.append(contentsOf: contentLengthPrefix)
            appendDecimal(n, to: &out)
            out.append(contentsOf: crlf)
        case .chunked:
            out.append(contentsOf: chunkedField)
        case .none:
            break
        }
        if let connection {
            out.append(contentsOf: connectionPrefix)
            connection.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: crlf)
        }
        out.append(contentsOf: crlf)
    }

    /// Appends a chunk header (`size CRLF`) for a chunk of `size` bytes.
    public static func chunkHeader(_ size: Int, into out: inout [UInt8]) {
        let digits = Array(String(size, radix: 16).utf8)
        out.append(contentsOf: digits)
        out.append(contentsOf: crlf)
    }

    public static let crlf: [UInt8] = [13, 10]
    public static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)
    private static let http10: [UInt8] = Array("HTTP/1.0 ".utf8)
    private static let http11: [UInt8] = Array("HTTP/1.1 ".utf8)
    private static let datePrefix: [UInt8] = Array("Date: ".utf8)
    private static let contentLengthPrefix: [UInt8] = Array("Content-Length: ".utf8)
    private static let chunkedField: [UInt8] = Array("Transfer-Encoding: chunked\r\n".utf8)
    private static let connectionPrefix: [UInt8] = Array("Connection: ".utf8)

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(48 + value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value, count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while n > 0 {
                d[count] = UInt8(48 + n % 10)
                n /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(d[i]) }
        }
    }
}
