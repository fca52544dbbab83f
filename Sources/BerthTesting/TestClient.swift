import BerthTransport
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client for tests, over a real socket or an in-memory channel: send raw bytes
/// or a request, read responses (fixed, chunked piece by piece, or until close), and use the
/// connection raw after a hijack.
public actor TestClient {
    public nonisolated let channel: any ByteChannel
    private var buffer = ByteBuffer()

    public init(channel: any ByteChannel) {
        self.channel = channel
    }

    /// Connects to a unix socket.
    public static func connect(unixPath path: String) async throws -> TestClient {
        var addr = sockaddr_un()
        var length = socklen_t(0)
        guard berth_sockaddr_un(&addr, path, &length) == 0 else { throw SocketError("connect \(path)") }
        let fd = berth_socket_stream(AF_UNIX)
        guard fd >= 0 else { throw SocketError("socket") }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
        guard rc == 0 || errno == EAGAIN else {
            let code = errno
            Glibc.close(fd)
            throw SocketError("connect \(path)", code: code)
        }
        return TestClient(channel: try Socket(adopting: fd, peer: path))
    }

    /// Connects to 127.0.0.1 (or another numeric IPv4 host) over TCP.
    public static func connect(host: String = "127.0.0.1", port: Int) async throws -> TestClient {
        let fd = berth_socket_stream(AF_INET)
        guard fd >= 0 else { throw SocketError("socket") }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &sin.sin_addr)
        let rc = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connectError = rc == 0 ? 0 : errno  // read before any other call can change it
        let socket = try Socket(adopting: fd, peer: "\(host):\(port)")
        if rc != 0 {
            guard connectError == EINPROGRESS else { throw SocketError("connect \(host):\(port)", code: connectError) }
            try await socket.reactor.wait(for: .write, fd)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { throw SocketError("connect \(host):\(port)", code: error) }
        }
        return TestClient(channel: socket)
    }

    /// Sends bytes as they are.
    public func send(_ bytes: [UInt8]) async throws {
        try await channel.write(bytes)
    }

    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Sends a request and reads its response.
    public func request(_ method: String, _ target: String, headers: [(String, String)] = [],
                        body: [UInt8]? = nil, host: String = "test") async throws -> TestResponse {
        try await send(Self.encode(method, target, headers: headers, body: body, host: host))
        return try await readResponse(method: method)
    }

    /// Encodes a request with a `Host` field and, for a body, `Content-Length`.
    public static func encode(_ method: String, _ target: String, headers: [(String, String)] = [],
                              body: [UInt8]? = nil, host: String = "test") -> [UInt8] {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        return Array(text.utf8) + (body ?? [])
    }

    /// Reads one whole response. `method` tells whether a body follows (`HEAD` has none).
    public func readResponse(method: String = "GET") async throws -> TestResponse {
        let head = try await readHead()
        var body: [UInt8] = []
        let noBody = method == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304
        if noBody {
        } else if let length = head.contentLength {
            body = try await readExactly(length)
        } else if head.chunked {
            while let chunk = try await readChunk() { body += chunk }
        } else {
            body = try await readToEnd()
        }
        return TestResponse(version: head.version, status: head.status, reason: head.reason, headers: head.headers, body: body)
    }

    /// Reads a response head only (for streams and hijacks).
    public func readHead() async throws -> TestResponseHead {
        while true {
            let end = buffer.withUnsafeReadableBytes { raw -> Int? in
                guard raw.count >= 4 else { return nil }
                for i in 0...(raw.count - 4) where raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 {
                    return i + 4
                }
                return nil
            }
            if let end {
                let text = String(decoding: buffer.read(upTo: end), as: UTF8.self)
                return try TestResponseHead(parsing: text)
            }
            try await fill()
        }
    }

    /// Reads the next chunk of a chunked body; nil after the last chunk.
    public func readChunk() async throws -> [UInt8]? {
        let line = try await readLine()
        guard let size = Int(line.split(separator: ";")[0], radix: 16) else { throw TestClientError("bad chunk size line: \(line)") }
        if size == 0 {
            while try await !readLine().isEmpty {}
            return nil
        }
        let data = try await readExactly(size)
        guard try await readLine().isEmpty else { throw TestClientError("chunk not followed by CRLF") }
        return data
    }

    /// Reads whatever arrives next (at least one byte), or [] at end of stream.
    public func readAvailable() async throws -> [UInt8] {
        if buffer.isEmpty, try await readMore() == 0 { return [] }
        return buffer.read(upTo: buffer.readableCount)
    }

    /// Reads until the server closes the connection.
    public func readToEnd() async throws -> [UInt8] {
        while try await readMore() > 0 {}
        return buffer.read(upTo: buffer.readableCount)
    }

    public func readExactly(_ count: Int) async throws -> [UInt8] {
        while buffer.readableCount < count { try await fill() }
        return buffer.read(upTo: count)
    }

    /// Whether the server closed the connection (reads end of stream with nothing pending).
    public func isClosedByServer() async -> Bool {
        if !buffer.isEmpty { return false }
        do {
            return try await readMore() == 0
        } catch {
            return true
        }
    }

    public func shutdownWrite() { channel.shutdownWrite() }
    public func close() { channel.close() }

    private func readLine() async throws -> String {
        while true {
            let end = buffer.withUnsafeReadableBytes { raw -> Int? in
                guard raw.count >= 2 else { return nil }
                for i in 0...(raw.count - 2) where raw[i] == 13 && raw[i + 1] == 10 { return i }
                return nil
            }
            if let end {
                let line = String(decoding: buffer.read(upTo: end), as: UTF8.self)
                buffer.consume(2)
                return line
            }
            try await fill()
        }
    }

    /// Reads into the buffer (swapped out, since an actor's stored property cannot be passed
    /// inout across a suspension).
    private func readMore() async throws -> Int {
        var local = ByteBuffer()
        swap(&local, &buffer)
        defer { swap(&local, &buffer) }
        return try await channel.read(into: &local)
    }

    private func fill() async throws {
        if try await readMore() == 0 { throw TestClientError("connection closed by server") }
    }
}

/// A status line and header fields.
public struct TestResponseHead: Sendable {
    public let version: String
    public let status: Int
    public let reason: String
    public let headers: [(name: String, value: String)]

    init(parsing text: String) throws {
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init)
        guard !lines.isEmpty else { throw TestClientError("empty response head") }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw TestClientError("bad status line") }
        version = String(statusLine[0])
        self.status = status
        reason = statusLine.count > 2 ? String(statusLine[2]) : ""
        headers = lines.map { line in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1].drop { $0 == " " }) : "")
        }
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var contentLength: Int? { header("Content-Length").flatMap { Int($0) } }
    var chunked: Bool { header("Transfer-Encoding")?.lowercased() == "chunked" }
}

public struct TestClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
