@testable import BerthDaemon
import BerthSync
import BerthEngine
import BerthHTTP
import BerthServer
import BerthTesting
import Dispatch
import Foundation
import Testing

/// Graceful shutdown against a real `berthd` process.
@Suite(.enabled(if: ChildDaemon.available, "berthd is not built next to the tests"))
struct ProcessShutdownTests {
    @Test func sigtermClosesIdleConnectionsEndsStreamsRefusesNewClientsAndCleansUp() async throws {
        let daemon = try await ChildDaemon()
        defer { daemon.stopSoon() }
        let idle = try await daemon.client()
        #expect(try await idle.request("GET", "/_ping").bodyText == "OK")
        let events = try await daemon.client()
        try await events.send(TestClient.encode("GET", "/v1.41/events"))
        #expect(try await events.readHead().status == 200)

        daemon.signal(SIGTERM)
        #expect(try await events.readChunk() == nil, "the events stream ends with its terminating chunk")
        #expect(await idle.isClosedByServer(), "the idle keep-alive connection is closed")
        let status = try await daemon.waitForExit()
        #expect(status == 0)
        await #expect(throws: (any Error).self, "new clients are refused") { _ = try await daemon.client() }
        #expect(!fileExists(daemon.socketPath), "the socket file is removed")
        #expect(!fileExists(daemon.pidfile), "the pidfile is removed")
        #expect(daemon.log.contains("Processing signal 'terminated'"))
        #expect(daemon.log.contains("Daemon shutdown complete"))
    }

    @Test func sigintShutsDownToo() async throws {
        let daemon = try await ChildDaemon()
        defer { daemon.stopSoon() }
        daemon.signal(SIGINT)
        #expect(try await daemon.waitForExit() == 0)
        #expect(daemon.log.contains("Processing signal 'interrupt'"))
    }

    @Test func aThirdSignalForcesExit() async throws {
        let daemon = try await ChildDaemon(arguments: ["--shutdown-timeout", "30", "--debug"])
        defer { daemon.stopSoon() }
        // A request whose body is still arriving is in flight: graceful shutdown waits for it, and
        // no deadline ends it (a half-sent head would be closed after 10 s, and a test process
        // stalled that long on a loaded machine would then see a clean exit). The daemon must be
        // handling it (its debug route says so) before the signal.
        let slow = try await daemon.client()
        try await slow.send("POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        let observer = try await daemon.client()
        #expect(try await eventually {
            // The observer's own connection is active while it asks: look for a second one.
            try await observer.request("GET", "/debug/connections").bodyText.components(separatedBy: "\"active\"").count > 2
        })
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit(limit: .milliseconds(300)) == nil, "still shutting down after one signal")
        // Signals of one kind that arrive before the first is handled coalesce in the kernel, and
        // a loaded machine may take a while to handle one: keep pressing, as a person does, until
        // the daemon gives up (its shutdown timeout, 30 s, is far away).
        var status: Int32?
        for _ in 0..<40 where status == nil {
            daemon.signal(SIGTERM)
            status = try await daemon.waitForExit(limit: .milliseconds(500))
        }
        let exited = try #require(status, "forced out by repeated signals")
        #expect(exited != 0)
        #expect(daemon.log.contains("Force shutdown daemon"))
    }

    @Test func descriptorsReturnToBaselineAfterAHundredCancelledStreams() async throws {
        let daemon = try await ChildDaemon()
        defer { daemon.stopSoon() }
        _ = try await daemon.client().request("GET", "/_ping")  // warm up lazily opened descriptors
        try await Task.sleep(for: .milliseconds(100))
        let baseline = daemon.openDescriptors
        for _ in 0..<10 {
            var clients: [TestClient] = []
            for _ in 0..<10 {
                let client = try await daemon.client()
                try await client.send(TestClient.encode("GET", "/events"))
                #expect(try await client.readHead().status == 200)
                clients.append(client)
            }
            for client in clients { await client.close() }
        }
        var now = daemon.openDescriptors
        for _ in 0..<1000 where now != baseline {
            try await Task.sleep(for: .milliseconds(10))
            now = daemon.openDescriptors
        }
        #expect(now == baseline)
        let info = try #require(try await daemon.client().request("GET", "/info").jsonObject)
        #expect(info["NEventsListener"] as? Int == 0, "every events job ended")
    }
}

/// Graceful shutdown of an in-process daemon, with routes that take their time.
@Suite struct DaemonShutdownTests {
    /// A daemon with test routes: `/test/slow` (until `slowRelease` opens, at most 90 s: a
    /// sanitized run on a loaded machine can take a minute to get there),
    /// `/test/stubborn` (ignores cancellation for 30 s) and `/test/block` (waits for cancellation,
    /// counting it).
    private static func daemon(shutdownTimeout: Duration = .seconds(15), slowRelease: ActivationGate = ActivationGate(),
                               initialize: @escaping @Sendable () async throws -> Void = {}) -> Daemon {
        var configuration = DaemonHarness.configuration()
        configuration.shutdownTimeout = shutdownTimeout
        return Daemon(configuration: configuration, facts: SystemFacts(), engineID: "X", logger: quietLogger, initialize: initialize, routes: { router, engine in
            router.add(.get, "/test/slow") { _, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await slowRelease.wait() }
                    group.addTask { try await Task.sleep(for: .seconds(90)) }
                    try await group.next()
                    group.cancelAll()
                }
                return .text("slow done")
            }
            router.add(.get, "/test/stubborn") { _, _ in
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().asyncAfter(deadline: .now() + 30) { continuation.resume() }
                }
                return .text("too late")
            }
            router.add(.get, "/test/block") { _, _ in
                try await engine.job("block").run()
                return .text("unblocked")
            }
        })
    }

    /// Registers the `block` job: it waits for cancellation and reports it.
    private static func registerBlock(on daemon: Daemon, onCancelled: @escaping @Sendable () -> Void) async {
        await daemon.engine.register("block") { _ in
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                onCancelled()
                throw error
            }
        }
    }

    /// Waits (bounded) until a request is being handled, so shutdown finds it in flight.
    private static func waitUntilActive(_ daemon: Daemon) async throws {
        #expect(await eventually { daemon.connections.snapshot.contains { $0.state == .active } })
    }

    private static func socketPath(_ daemon: Daemon) async throws -> String {
        let listeners = try await daemon.waitUntilListening()
        return try #require(listeners.compactMap { if case .unix(let p) = $0.address { p } else { nil } }.first)
    }

    @Test func requestInFlightFinishesWithConnectionClose() async throws {
        let release = ActivationGate()
        let daemon = Self.daemon(shutdownTimeout: .seconds(90), slowRelease: release)
        let stop = ActivationGate()
        let ending = Task { await daemon.runUntilStopped(stop) }
        let path = try await Self.socketPath(daemon)
        try await daemon.gate.wait()
        let client = try await TestClient.connect(unixPath: path)
        try await client.send(TestClient.encode("GET", "/test/slow"))
        try await Self.waitUntilActive(daemon)
        stop.open()
        // The handler finishes only once the shutdown has begun, however slow this machine is.
        #expect(await eventually { daemon.connections.isShuttingDown })
        release.open()
        let response = try await client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == "slow done")
        #expect(response.header("Connection") == "close")
        #expect(await client.isClosedByServer())
        let ended = await ending.value
        guard case .clean = ended else { Issue.record("not a clean ending: \(ended)"); return }
        #expect(!fileExists(path))
    }

    @Test func aHandlerThatIgnoresCancellationIsCutAtTheTimeout() async throws {
        let daemon = Self.daemon(shutdownTimeout: .milliseconds(300))
        let stop = ActivationGate()
        let ending = Task { await daemon.runUntilStopped(stop) }
        let path = try await Self.socketPath(daemon)
        try await daemon.gate.wait()
        let client = try await TestClient.connect(unixPath: path)
        try await client.send(TestClient.encode("GET", "/test/stubborn"))
        try await Self.waitUntilActive(daemon)
        stop.open()
        // The handler would run for 30 s; the daemon stops waiting for it at the timeout.
        guard case .timedOut = await ending.value else { Issue.record("expected the timeout ending"); return }
        #expect(await daemon.engine.isShuttingDown)
    }

    @Test func aSignalDuringInitialisationStillShutsDownCleanly() async throws {
        let initCancelled = Locked(false)
        // A generous shutdown timeout: a sanitized run on a loaded machine is slow to wind down,
        // and the point here is the kind of ending, not its speed.
        let daemon = Self.daemon(shutdownTimeout: .seconds(60), initialize: {
            do {
                try await Task.sleep(for: .seconds(90))
            } catch {
                initCancelled.withLock { $0 = true }
                throw error
            }
        })
        let stop = ActivationGate()
        let ending = Task { await daemon.runUntilStopped(stop) }
        let path = try await Self.socketPath(daemon)
        stop.open()
        let ended = await ending.value
        guard case .clean = ended else { Issue.record("not a clean ending: \(ended)"); return }
        #expect(initCancelled.withLock { $0 }, "initialisation was abandoned")
        #expect(!daemon.gate.isOpen, "connections were never accepted")
        #expect(!fileExists(path), "the socket file is removed")
        #expect(await daemon.engine.isShuttingDown)
    }

    @Test func clientHangUpCancelsTheRequestsJob() async throws {
        let cancelled = Counter()
        let daemon = Self.daemon()
        await Self.registerBlock(on: daemon) { cancelled.increment() }
        let stop = ActivationGate()
        let ending = Task { await daemon.runUntilStopped(stop) }
        let path = try await Self.socketPath(daemon)
        try await daemon.gate.wait()
        let client = try await TestClient.connect(unixPath: path)
        try await client.send(TestClient.encode("GET", "/test/block"))
        func blockRunning() async -> Bool { await daemon.engine.runningJobs.contains { $0.call == "block()" } }
        #expect(await eventually { await blockRunning() })
        await client.close()
        #expect(await eventually { cancelled.value == 1 }, "the job saw the cancellation")
        #expect(await eventually { await !blockRunning() })
        // Other clients are unaffected: cancellation went down, not up.
        #expect(try await TestClient.connect(unixPath: path).request("GET", "/_ping").bodyText == "OK")
        stop.open()
        _ = await ending.value
    }
}

final class Counter: Sendable {
    private let count = Locked(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
