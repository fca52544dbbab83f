import BerthServer
import BerthSync
import BerthTesting
import BerthTransport
import Foundation
import Testing

/// A request's cancellation, as its handler sees it through `RequestContext.cancellation`.
@Suite struct CancellationTests {
    /// What a slow handler saw when it was cancelled.
    final class Observed: Sendable {
        private let state = Locked<(reason: RequestCancellation.Reason?, deadline: ContinuousClock.Instant?, cancelled: Bool)?>(nil)
        let started = ActivationGate()
        let ended = ActivationGate()
        func record(_ context: RequestContext) {
            state.withLock { $0 = (context.cancellation.reason, context.cancellation.deadline, Task.isCancelled) }
            ended.open()
        }
        var value: (reason: RequestCancellation.Reason?, deadline: ContinuousClock.Instant?, cancelled: Bool)? { state.withLock { $0 } }
    }

    /// A service whose `/slow` handler waits up to 120 s (long enough that a starved, sanitized run
    /// still cancels it first), then records what it saw.
    private func service(_ observed: Observed) -> Service {
        TestService.make { router in
            router.add(.get, "/slow") { _, context in
                #expect(context.cancellation.reason == nil && !context.cancellation.isCancelled, "not cancelled yet")
                observed.started.open()
                try? await Task.sleep(for: .seconds(120))
                observed.record(context)
                return .text("done")
            }
        }
    }

    @Test func aClientThatHangsUpCancelsItsRequestWithThatReason() async throws {
        let observed = Observed()
        try await TestServer.withLive(service(observed)) { server in
            let client = try await server.connectUnix()
            try await client.send(TestClient.encode("GET", "/slow"))
            try await observed.started.wait()
            await client.close()
            try await observed.ended.wait()
            let seen = try #require(observed.value)
            #expect(seen.cancelled, "the handler's task was cancelled")
            #expect(seen.reason == .clientHungUp)
            #expect(seen.deadline == nil, "no shutdown, no deadline")
        }
    }

    @Test func aShutdownDeadlineCancelsWhatIsStillRunning() async throws {
        let observed = Observed()
        let path = TestDirectory.path("cancel", suffix: ".sock")
        let listener = try await Listener.bind(.unix(path: path))
        var configuration = ServerConfiguration()
        configuration.shutdownTimeout = .milliseconds(300)
        let server = Server(listeners: [listener], service: service(observed), configuration: configuration)
        let running = Task { try await server.run() }
        let client = try await TestClient.connect(unixPath: path)
        try await client.send(TestClient.encode("GET", "/slow"))
        try await observed.started.wait()
        let shutdownBegan = ContinuousClock.now
        server.beginShutdown()
        try await observed.ended.wait()
        let seen = try #require(observed.value)
        #expect(seen.cancelled)
        #expect(seen.reason == .shutdown)
        let deadline = try #require(seen.deadline, "the deadline is known once the shutdown begins")
        #expect(deadline >= shutdownBegan + .milliseconds(300))
        #expect(deadline <= ContinuousClock.now, "cancelled at the deadline, not before")
        // The handler still answers (with Connection: close), then the server ends.
        let response = try await client.readResponse()
        #expect(response.bodyText == "done")
        #expect(response.header("Connection") == "close")
        try await running.value
    }
}
