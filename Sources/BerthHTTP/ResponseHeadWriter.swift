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

    /// Appends the head to `out`. `date` is an IMF-fixdate or nil for none; `connection` is the
    /// value of a `Connection` field to write (`close`, `keep-alive`, `Upgrade`) or nil.
    public static func write(status: HTTPStatus, version: HTTPVersion = .http1_1, headers: HTTPHeaders,
                             framing: Framing, date: String?, connection: String?, into out: inout [UInt8]) {
        out.append(contentsOf: version == .http1_0 ? "HTTP/1.0 ".utf8 : "HTTP/1.1 ".utf8)
        appendDecimal(status.code, to: &out)
        out.append(ASCII.sp)
        out.append(contentsOf: status.reason.utf8)
        out.append(contentsOf: crlf)
        for field in headers.fields {
            appendField(field.name, field.value, to: &out)
        }
        if let date { appendField("Date", date, to: &out) }
        switch framing {
        case .length(let n):
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(n, to: &out)
            out.append(contentsOf: crlf)
        case .chunked:
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .none:
            break
        }
        if let connection { appendField("Connection", connection, to: &out) }
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

    private static func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        out.append(ASCII.colon)
        out.append(ASCII.sp)
        // Never let a value smuggle a line break onto the wire.
        for b in value.utf8 { out.append(b == 13 || b == 10 ? ASCII.sp : b) }
        out.append(contentsOf: crlf)
    }

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
