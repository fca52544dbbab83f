import BerthServer
import BerthTesting
import BerthTransport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct LiveServerTests {
    @Test func keepAliveReuseOverTCPAndUnix() async throws {
        try await TestServer.withLive(TestService.make()) { server in
            for client in [try await server.connectTCP(), try await server.connectUnix()] {
                for _ in 0..<3 {
                    let response = try await client.request("GET", "/v1.41/_ping")
                    #expect(response.status == 200)
                    #expect(response.bodyText == "OK")
                    #expect(response.header("Connection") == nil)
                }
                await client.close()
            }
        }
    }

    @Test func fiftyPipelinedRequestsInOneWriteAnswerInOrder() async throws {
        try await TestServer.withLive(TestService.make()) { server in
            let client = try await server.connectTCP()
            var bytes: [UInt8] = []
            for i in 0..<50 { bytes += TestClient.encode("GET", "/count/p\(i)") }
            try await client.send(bytes)
            for i in 0..<50 {
                #expect(try await client.readResponse().bodyText == "p\(i)")
            }
        }
    }

    @Test func chunkedBodyAndStreamOverTCP() async throws {
        try await TestServer.withLive(TestService.make()) { server in
            let client = try await server.connectUnix()
            try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            #expect(try await client.readResponse().bodyText == "abc")
            try await client.send(TestClient.encode("GET", "/stream?n=2"))
            _ = try await client.readHead()
            #expect(try await client.readChunk() == Array("{\"n\":0}\n".utf8))
            #expect(try await client.readChunk() == Array("{\"n\":1}\n".utf8))
            #expect(try await client.readChunk() == nil)
        }
    }

    @Test func hijackedEchoOverARealSocket() async throws {
        try await TestServer.withLive(TestService.make()) { server in
            let client = try await server.connectTCP()
            try await client.send(TestClient.encode("POST", "/hijack", headers: [("Connection", "Upgrade"), ("Upgrade", "tcp")]))
            #expect(try await client.readHead().status == 101)
            try await client.send("hello")
            #expect(try await client.readExactly(5) == Array("hello".utf8))
            await client.shutdownWrite()
            #expect(try await client.readToEnd() == Array("bye\n".utf8))
        }
    }

    @Test func twoHundredClientsConnectingAtOnceAreAllServed() async throws {
        try await TestServer.withLive(TestService.make()) { server in
            let port = try #require(server.tcpPort)
            let path = try #require(server.unixPath)
            let served = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        let client = i % 2 == 0 ? try await TestClient.connect(port: port) : try await TestClient.connect(unixPath: path)
                        let response = try await client.request("GET", "/_ping")
                        await client.close()
                        return response.bodyText == "OK" ? 1 : 0
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(served == 200)
        }
    }

    @Test func unixSocketIsMode0660AndRemovedWhenClosed() async throws {
        let path = TestDirectory.path("mode", suffix: ".sock")
        let listener = try await Listener.bind(.unix(path: path))
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        await listener.close()
        #expect(access(path, F_OK) != 0)
    }

    @Test func staleSocketFileIsReplacedButALiveOneIsNot() async throws {
        let path = TestDirectory.path("stale", suffix: ".sock")
        let first = try await Listener.bind(.unix(path: path))
        await #expect(throws: SocketError("listen unix \(path): bind", code: EADDRINUSE)) {
            _ = try await Listener.bind(.unix(path: path))
        }
        // Leave a socket file that nothing listens on: it is stale and gets replaced.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        await first.close()
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        let second = try await Listener.bind(.unix(path: path))
        await second.close()
    }

    @Test func aPathThatIsNotASocketIsAnError() async throws {
        let path = TestDirectory.path("file")
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        close(fd)
        defer { unlink(path) }
        await #expect(throws: ListenerError.self) { _ = try await Listener.bind(.unix(path: path)) }
        #expect(access(path, F_OK) == 0, "the file is left alone")
    }

    @Test func tcpBindConflictReadsLikeDockerd() async throws {
        let first = try await Listener.bind(.tcp(host: "127.0.0.1", port: 0))
        let port = try #require(first.boundPort)
        do {
            _ = try await Listener.bind(.tcp(host: "127.0.0.1", port: port))
            Issue.record("second bind succeeded")
        } catch {
            #expect("\(error)" == "listen tcp 127.0.0.1:\(port): bind: address already in use")
        }
        await first.close()
    }

    @Test func ipv6LoopbackListens() async throws {
        let listener = try await Listener.bind(.tcp(host: "::1", port: 0))
        #expect(listener.displayAddress.hasPrefix("[::1]:"))
        await listener.close()
    }
}
