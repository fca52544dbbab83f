import BerthServer
import BerthTesting
import Testing

@Suite struct ConnectionTests {
    @Test func malformedRequestIsRefusedAndNothingBehindItRuns() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            try await client.send("GET /count/m1 HTTP/1.1\r\nHost: h\r\n\r\nGET /count/m2 HTTP/1.1\r\nBad Header\r\n\r\nGET /count/m3 HTTP/1.1\r\nHost: h\r\n\r\n")
            let first = try await client.readResponse()
            #expect(first.bodyText == "m1")
            let refused = try await client.readResponse()
            #expect(refused.status == 400)
            #expect(refused.header("Connection") == "close")
            #expect(refused.header("Content-Type") == "application/json")
            #expect(refused.errorMessage?.isEmpty == false)
            #expect(await client.isClosedByServer())
        }
        let executed = TestService.executed.withLock { $0 }
        #expect(executed.contains("m1"))
        #expect(!executed.contains("m2") && !executed.contains("m3"), "nothing pipelined behind a bad request runs")
    }

    @Test(arguments: [
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "b", count: 70_000))\r\n\r\n", 431),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("\u{16}\u{3}\u{1}", 400),
    ])
    func parserRefusalsReachTheClient(_ request: String, _ status: Int) async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            try await client.send(request)
            let response = try await client.readResponse()
            #expect(response.status == status)
            #expect(response.header("Connection") == "close")
            #expect(response.errorMessage != nil)
        }
    }

    @Test func http10IsAnsweredAs10AndClosedUnlessKeepAlive() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            try await client.send("GET /_ping HTTP/1.0\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.version == "HTTP/1.0")
            #expect(response.header("Connection") == "close")
            #expect(await client.isClosedByServer())

            let kept = server.connect()
            try await kept.send("GET /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await kept.readResponse().header("Connection") == "keep-alive")
            try await kept.send("GET /_ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await kept.readResponse().bodyText == "OK")
        }
    }

    @Test func connectionCloseIsEchoed() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            let response = try await client.request("GET", "/_ping", headers: [("Connection", "close")])
            #expect(response.header("Connection") == "close")
            #expect(await client.isClosedByServer())
        }
    }

    @Test func expectContinueIsAnsweredBeforeTheBody() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = try await client.readHead()
            #expect(interim.status == 100)
            try await client.send("hello")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "hello")
        }
    }

    @Test func unreadExpectContinueBodyClosesTheConnection() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            try await client.send("POST /ignore-body HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200, "answered without asking for the body")
            #expect(response.header("Connection") == "close")
        }
    }

    @Test func chunkedRequestBodiesReachHandlers() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.bodyText == "hello world")
            #expect(try await client.request("GET", "/_ping").bodyText == "OK", "the connection is reused after the body")
        }
    }

    @Test func badChunkedBodyIs400AndCloses() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            try await client.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 400)
            #expect(response.header("Connection") == "close")
        }
    }

    @Test func smallUnreadBodyIsDiscardedAndTheConnectionKept() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            let first = try await client.request("POST", "/ignore-body", body: Array("{\"a\":1}".utf8))
            #expect(first.header("Connection") == nil)
            #expect(try await client.request("GET", "/_ping").bodyText == "OK")
        }
    }

    @Test func streamedResponsesArriveChunkByChunk() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            try await client.send(TestClient.encode("GET", "/stream?n=3"))
            let head = try await client.readHead()
            #expect(head.status == 200)
            #expect(head.header("Transfer-Encoding") == "chunked")
            #expect(head.header("Content-Length") == nil)
            #expect(try await client.readChunk() == Array("{\"n\":0}\n".utf8))
            #expect(try await client.readChunk() == Array("{\"n\":1}\n".utf8))
            #expect(try await client.readChunk() == Array("{\"n\":2}\n".utf8))
            #expect(try await client.readChunk() == nil, "ends with the terminating chunk")
            #expect(try await client.request("GET", "/_ping").bodyText == "OK")
        }
    }

    @Test func halfCloseRightAfterAnUpgradeRequestIsNotAHangUp() async throws {
        let service = TestService.make(extraRoutes: { router in
            router.add(.post, "/slow-hijack") { _, _ in
                try await Task.sleep(for: .milliseconds(100))  // longer than the hang-up watch delay
                return Response(status: .upgraded, body: .hijack { stream in
                    try await stream.write(Array("output after half-close\n".utf8))
                })
            }
        })
        try await TestServer.withLive(service) { server in
            let client = try await server.connectUnix()
            try await client.send(TestClient.encode("POST", "/slow-hijack", headers: [("Connection", "Upgrade"), ("Upgrade", "tcp")]))
            await client.shutdownWrite()  // as the docker CLI does when it has no stdin
            #expect(try await client.readHead().status == 101)
            #expect(try await client.readToEnd() == Array("output after half-close\n".utf8))
        }
    }

    @Test func hijackGivesARawTwoWayStreamThatSurvivesHalfClose() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            try await client.send(TestClient.encode("POST", "/hijack", headers: [("Connection", "Upgrade"), ("Upgrade", "tcp")]) + Array("early ".utf8))
            let head = try await client.readHead()
            #expect(head.status == 101)
            #expect(head.reason == "UPGRADED")
            #expect(head.header("Content-Type") == "application/vnd.docker.raw-stream")
            #expect(head.header("Api-Version") == nil)
            #expect(head.header("Date") == nil)
            #expect(try await client.readExactly(6) == Array("early ".utf8), "bytes sent with the request reach the handler")
            try await client.send("ping")
            #expect(try await client.readExactly(4) == Array("ping".utf8))
            await client.shutdownWrite()
            #expect(try await client.readToEnd() == Array("bye\n".utf8))
        }
    }
}
