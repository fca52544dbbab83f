import BerthServer
import BerthSync
import BerthTesting
import Testing

/// A request's body reads the connection's socket: it may be read by its handler and its
/// response, never by a task that outlives the request, and never by two tasks at once.
@Suite struct RequestBodyOwnershipTests {
    @Test func aBodyReadAfterItsRequestEndedThrowsAndTheConnectionIsUnharmed() async throws {
        let escaped = Locked<Task<String, Never>?>(nil)
        let responseRead = ActivationGate()
        let service = TestService.make { router in
            router.add(.post, "/escape") { request, _ in
                let body = request.body
                // Handed to a task that outlives the request: the misuse this guards against.
                escaped.withLock {
                    $0 = Task {
                        try? await responseRead.wait()
                        do {
                            let piece = try await body.next()
                            return "read \(piece?.count ?? 0) bytes"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return .text("left the body unread")
            }
        }
        try await TestServer.withInMemory(service) { server in
            let client = server.connect()
            let first = try await client.request("POST", "/escape", body: Array("first".utf8))
            #expect(first.bodyText == "left the body unread")
            responseRead.open()
            let outcome = await escaped.withLock { $0 }?.value
            #expect(outcome == "request body read after its request ended: a body may be read only by its handler and its response")
            // The same connection carries on, and the next body is whole.
            let echo = try await client.request("POST", "/echo", body: Array("second body".utf8))
            #expect(echo.bodyText == "second body")
        }
    }

    @Test func aStreamedResponseMayReadTheBody() async throws {
        let service = TestService.make { router in
            router.add(.post, "/upload") { request, _ in
                .stream { writer in
                    var total = 0
                    for try await piece in request.body {
                        total += piece.count
                        try await writer.write("{\"received\":\(total)}\n")
                    }
                }
            }
        }
        try await TestServer.withInMemory(service) { server in
            let client = server.connect()
            let response = try await client.request("POST", "/upload", body: [UInt8](repeating: 7, count: 100_000))
            #expect(response.bodyText.hasSuffix("{\"received\":100000}\n"))
            #expect(try await client.request("GET", "/_ping").bodyText == "OK", "the connection carries on")
        }
    }

    @Test func twoTasksReadingOneBodyAtOnceTrap() async {
        await #expect(processExitsWith: .failure) {
            let service = TestService.make { router in
                router.add(.post, "/race") { request, _ in
                    // The body's bytes never come, so the first read waits in the socket while
                    // the second one starts.
                    async let first = request.body.next()
                    try await Task.sleep(for: .milliseconds(50))
                    _ = try await request.body.next()
                    _ = try await first
                    return .text("unreachable")
                }
            }
            try await TestServer.withInMemory(service) { server in
                let client = server.connect()
                try await client.send("POST /race HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n")
                _ = try await client.readResponse()
            }
        }
    }
}
