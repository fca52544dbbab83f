import BerthServer
import BerthTesting
import Testing

@Suite struct DeadlineTests {
    private func configuration(headRead: Duration = .seconds(10), idle: Duration = .seconds(120)) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.headerReadTimeout = headRead
        configuration.idleTimeout = idle
        configuration.sweepInterval = .milliseconds(20)
        return configuration
    }

    @Test func headerReadDeadlineClosesASlowDripClientWhileOthersAreServed() async throws {
        try await TestServer.withLive(TestService.make(), configuration: configuration(headRead: .milliseconds(300))) { server in
            let slow = try await server.connectTCP()
            try await slow.send("GET /_ping HTTP/1.1\r\n")
            let fast = try await server.connectTCP()
            var closed = false
            for i in 0..<40 {
                if i % 4 == 0 { #expect(try await fast.request("GET", "/_ping").bodyText == "OK") }
                do {
                    try await slow.send("X-Drip-\(i): y\r\n")
                } catch {
                    closed = true
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
                if i > 10, await slow.isClosedByServer() { closed = true; break }
            }
            #expect(closed, "the slow-drip client was cut off")
            #expect(try await fast.request("GET", "/_ping").bodyText == "OK")
        }
    }

    @Test func idleKeepAliveConnectionsAreClosedAfterTheIdleTimeout() async throws {
        try await TestServer.withLive(TestService.make(), configuration: configuration(idle: .milliseconds(200))) { server in
            let client = try await server.connectUnix()
            #expect(try await client.request("GET", "/_ping").bodyText == "OK")
            // isClosedByServer waits for the server's end of stream.
            #expect(await client.isClosedByServer())
        }
    }

    @Test func gracefulShutdownOfTheServerLetsAStreamEndCleanly() async throws {
        let server = Server(listeners: [], service: TestService.make(extraRoutes: { router in
            router.add(.get, "/forever") { _, _ in
                .stream { writer in
                    try await writer.write("first\n")
                    try await Task.sleep(for: .seconds(60))
                }
            }
        }))
        let (client, end) = MemoryChannel.pair()
        async let served: Void = server.serve(end, listener: "memory")
        let test = TestClient(channel: client)
        try await test.send(TestClient.encode("GET", "/forever"))
        #expect(try await test.readHead().status == 200)
        #expect(try await test.readChunk() == Array("first\n".utf8))
        server.beginShutdown()
        #expect(try await test.readChunk() == nil, "the stream ends with its terminating chunk")
        #expect(await test.isClosedByServer())
        await served
    }
}
