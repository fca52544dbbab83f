#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict, incremental HTTP/1.1 request-head parser over byte buffers. No I/O.
///
/// Call `parse` with every unconsumed byte from the start of the request each time more
/// arrive; it resumes where it stopped and never rescans a line. It validates each line as soon
/// as its CRLF arrives, so a malformed request is refused before the rest of its head does.
/// After `.complete`, the parser is ready for the next request.
public struct RequestHeadParser: Sendable {
    /// Size limits: over `requestLine` bytes answers 414, over `headerBlock` bytes 431.
    public struct Limits: Sendable {
        public var requestLine: Int
        public var headerBlock: Int
        public init(requestLine: Int = 8 * 1024, headerBlock: Int = 64 * 1024) {
            self.requestLine = requestLine
            self.headerBlock = headerBlock
        }
    }

    public enum Result: Sendable {
        case needMore
        /// A whole head; `consumed` bytes of the buffer belong to it.
        case complete(RequestHead, consumed: Int)
    }

    public let limits: Limits

    // Scan state for the request being parsed.
    private var scanned = 0
    private var lineStart = 0
    private var headStart = 0
    private var requestLineParsed = false
    private var headerBlockStart = 0
    private var method: HTTPMethod = .get
    private var targetRange = 0..<0
    private var version: HTTPVersion = .http1_1
    private var fields: [RequestHeaders.Field] = []
    /// The bytes of the last complete head. Reused: cleared when the next request starts, by which
    /// time the previous `RequestHead` is normally gone, so neither array is copied or reallocated.
    private var headBytes: [UInt8] = []
    private var needsClear = false
    private var hostCount = 0
    private var contentLength: Int?
    private var transferEncodingCount = 0
    private var transferEncodingUnsupported = false
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var connectionUpgrade = false
    private var hasUpgrade = false
    private var expectsContinue = false
    private var unknownExpectation = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// True while nothing of a request has been seen yet (so a connection may close quietly).
    public var isIdle: Bool { scanned == 0 }

    public mutating func parse(_ buffer: UnsafeRawBufferPointer) throws(HTTPParseError) -> Result {
        let count = buffer.count
        guard count > scanned, let base = buffer.baseAddress else { return .needMore }
        if needsClear {
            fields.removeAll(keepingCapacity: true)
            needsClear = false
        }
        var i = scanned
        while i < count {
            if !requestLineParsed && i == lineStart {
                // The first byte of a request must start a method (or be a stray CRLF): a TLS
                // ClientHello or other binary is refused at once.
                let first = buffer[i]
                if first != ASCII.cr && !ASCII.isToken(first) {
                    throw .bad("malformed HTTP request: first byte 0x\(String(first, radix: 16)) is not a method")
                }
            }
            guard let found = memchr(base + i, Int32(ASCII.lf), count - i) else {
                i = count
                break
            }
            let lf = base.distance(to: UnsafeRawPointer(found))
            guard lf > lineStart, buffer[lf - 1] == ASCII.cr else { throw .bad("malformed HTTP request: bare LF") }
            let lineEnd = lf - 1
            if !requestLineParsed {
                if lineEnd == lineStart {
                    // RFC 9112 §2.2: ignore a few empty lines before the request line.
                    guard lf + 1 - headStart <= 8 else { throw .bad("malformed HTTP request: empty lines") }
                    headStart = lf + 1
                } else {
                    try parseRequestLine(UnsafeRawBufferPointer(rebasing: buffer[lineStart..<lineEnd]))
                    requestLineParsed = true
                    headerBlockStart = lf + 1
                }
            } else if lineEnd == lineStart {
                let head = try finish(buffer, end: lf + 1)
                reset()
                return .complete(head, consumed: lf + 1)
            } else {
                if lf + 1 - headerBlockStart > limits.headerBlock { throw headerBlockTooLarge }
                try parseHeaderLine(buffer, lineStart, lineEnd)
            }
            lineStart = lf + 1
            i = lf + 1
        }
        scanned = count
        if !requestLineParsed {
            if count - lineStart > limits.requestLine { throw requestLineTooLong }
        } else if count - headerBlockStart > limits.headerBlock {
            throw headerBlockTooLarge
        }
        return .needMore
    }

    /// Forgets any partial request.
    public mutating func reset() {
        scanned = 0; lineStart = 0; headStart = 0; requestLineParsed = false; headerBlockStart = 0
        needsClear = true
        hostCount = 0; contentLength = nil; transferEncodingCount = 0; transferEncodingUnsupported = false
        connectionClose = false; connectionKeepAlive = false; connectionUpgrade = false; hasUpgrade = false
        expectsContinue = false; unknownExpectation = false
    }

    private var requestLineTooLong: HTTPParseError {
        HTTPParseError(.uriTooLong, "request line too long: the limit is \(limits.requestLine) bytes")
    }

    private var headerBlockTooLarge: HTTPParseError {
        HTTPParseError(.headerFieldsTooLarge, "request header block too large: the limit is \(limits.headerBlock) bytes")
    }

    private mutating func parseRequestLine(_ line: UnsafeRawBufferPointer) throws(HTTPParseError) {
        if line.count > limits.requestLine { throw requestLineTooLong }
        var i = 0
        while i < line.count, ASCII.isToken(line[i]) { i += 1 }
        guard i > 0, i < line.count, line[i] == ASCII.sp else { throw .bad("malformed HTTP request line") }
        method = HTTPMethod(bytes: UnsafeRawBufferPointer(rebasing: line[0..<i]))
        let targetStart = i + 1
        i = targetStart
        while i < line.count, ASCII.isTargetByte(line[i]) { i += 1 }
        guard i > targetStart, i < line.count, line[i] == ASCII.sp else { throw .bad("malformed HTTP request line") }
        targetRange = (lineStart - headStart + targetStart)..<(lineStart - headStart + i)
        let v = UnsafeRawBufferPointer(rebasing: line[(i + 1)...])
        guard v.count == 8, v[0] == 72, v[1] == 84, v[2] == 84, v[3] == 80, v[4] == 47, // "HTTP/"
              ASCII.isDigit(v[5]), v[6] == 46, ASCII.isDigit(v[7]) else {
            throw .bad("malformed HTTP version")
        }
        switch (v[5], v[7]) {
        case (49, 49): version = .http1_1
        case (49, 48): version = .http1_0
        default: throw HTTPParseError(.httpVersionNotSupported, "unsupported protocol version")
        }
    }

    private mutating func parseHeaderLine(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws(HTTPParseError) {
        let first = buffer[start]
        if first == ASCII.sp || first == ASCII.htab { throw .bad("malformed HTTP header: obsolete line folding") }
        var colon = start
        while colon < end, buffer[colon] != ASCII.colon {
            guard ASCII.isToken(buffer[colon]) else { throw .bad("malformed HTTP header name") }
            colon += 1
        }
        guard colon < end else { throw .bad("malformed HTTP header: missing colon") }
        guard colon > start else { throw .bad("malformed HTTP header: empty name") }
        var valueStart = colon + 1
        var valueEnd = end
        for j in valueStart..<valueEnd where !ASCII.isFieldValue(buffer[j]) {
            throw .bad("malformed HTTP header value: control byte 0x\(String(buffer[j], radix: 16))")
        }
        while valueStart < valueEnd, buffer[valueStart] == ASCII.sp || buffer[valueStart] == ASCII.htab { valueStart += 1 }
        while valueEnd > valueStart, buffer[valueEnd - 1] == ASCII.sp || buffer[valueEnd - 1] == ASCII.htab { valueEnd -= 1 }
        let offset = headStart
        fields.append(.init(nameStart: Int32(start - offset), nameEnd: Int32(colon - offset),
                            valueStart: Int32(valueStart - offset), valueEnd: Int32(valueEnd - offset)))
        let name = buffer[start..<colon]
        let value = buffer[valueStart..<valueEnd]
        switch name.count {
        case 4 where ASCII.equalsLowercased(name, "host"):
            hostCount += 1
            for b in value where !Self.isHostByte(b) { throw .bad("malformed Host header") }
        case 14 where ASCII.equalsLowercased(name, "content-length"):
            guard !value.isEmpty, value.count <= 18, value.allSatisfy(ASCII.isDigit) else {
                throw .bad("bad Content-Length")
            }
            let length = value.reduce(0) { $0 * 10 + Int($1 - 48) }
            if let previous = contentLength, previous != length { throw .bad("conflicting Content-Length headers") }
            contentLength = length
        case 17 where ASCII.equalsLowercased(name, "transfer-encoding"):
            transferEncodingCount += 1
            if !ASCII.equalsLowercased(value, "chunked") {
                var sawToken = false
                for token in value.split(separator: 44, omittingEmptySubsequences: false) {
                    let trimmed = token.drop { $0 == ASCII.sp || $0 == ASCII.htab }.reversed().drop { $0 == ASCII.sp || $0 == ASCII.htab }
                    guard !trimmed.isEmpty, trimmed.allSatisfy(ASCII.isToken) else { throw .bad("malformed Transfer-Encoding") }
                    sawToken = true
                }
                guard sawToken else { throw .bad("malformed Transfer-Encoding") }
                transferEncodingUnsupported = true
            }
        case 10 where ASCII.equalsLowercased(name, "connection"):
            for token in value.split(separator: 44) {
                let t = token.drop { $0 == ASCII.sp || $0 == ASCII.htab }
                let trimmed = t.prefix(t.count - t.reversed().prefix { $0 == ASCII.sp || $0 == ASCII.htab }.count)
                if ASCII.equalsLowercased(trimmed, "close") { connectionClose = true }
                else if ASCII.equalsLowercased(trimmed, "keep-alive") { connectionKeepAlive = true }
                else if ASCII.equalsLowercased(trimmed, "upgrade") { connectionUpgrade = true }
            }
        case 6 where ASCII.equalsLowercased(name, "expect"):
            if ASCII.equalsLowercased(value, "100-continue") { expectsContinue = true }
            else if !value.isEmpty { unknownExpectation = true }
        case 7 where ASCII.equalsLowercased(name, "upgrade"):
            hasUpgrade = !value.isEmpty
        default:
            break
        }
    }

    /// RFC 3986 `host [":" port]` characters: unreserved, sub-delims, ':', brackets and '%'.
    private static let hostByteTable: [Bool] = (0..<256).map { b in
        let c = UInt8(b)
        return (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x7A) || "-._~!$&'()*+,;=:[]%".utf8.contains(c)
    }

    private static func isHostByte(_ b: UInt8) -> Bool { hostByteTable[Int(b)] }

    private mutating func finish(_ buffer: UnsafeRawBufferPointer, end: Int) throws(HTTPParseError) -> RequestHead {
        if version == .http1_1 {
            if hostCount == 0 { throw .bad("missing required Host header") }
            if hostCount > 1 { throw .bad("too many Host headers") }
        }
        var framing = BodyFraming.none
        if transferEncodingCount > 0 {
            if version == .http1_0 { throw .bad("Transfer-Encoding is not allowed in HTTP/1.0") }
            if contentLength != nil { throw .bad("both Content-Length and Transfer-Encoding") }
            if transferEncodingCount > 1 { throw .bad("too many Transfer-Encoding headers") }
            if transferEncodingUnsupported { throw HTTPParseError(.notImplemented, "unsupported transfer encoding") }
            framing = .chunked
        } else if let length = contentLength, length > 0 {
            framing = .length(length)
        }
        if unknownExpectation { throw HTTPParseError(.expectationFailed, "unsupported Expect header") }
        headBytes.removeAll(keepingCapacity: true)
        headBytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[headStart..<end]))
        let target = String(decoding: headBytes[targetRange], as: UTF8.self)
        return RequestHead(method: method, target: target, version: version,
                           headers: RequestHeaders(bytes: headBytes, fields: fields), framing: framing,
                           expectsContinue: expectsContinue && framing != .none,
                           connectionClose: connectionClose, connectionKeepAlive: connectionKeepAlive,
                           wantsUpgrade: connectionUpgrade && hasUpgrade)
    }
}
