import BerthSync
import BerthEngine
import Dispatch
import BerthCore
import Testing

@Suite struct EngineTests {
    @Test func runsRegisteredHandlersWithArgsEnvAndStreams() async throws {
        let engine = Engine()
        await engine.register("greet") { job in
            let who = job.env.string("who") ?? "nobody"
            job.stdout.write("hello \(who) \(job.args.joined(separator: ","))")
            job.stderr.write("note")
            let input = await job.stdin.collect()
            job.stdout.write(" \(input.count)")
        }
        var env = JobEnvironment()
        env.set("who", "berth")
        env.set("flag", true)
        env.set("n", 3)
        env.set("items", ["a", "b"])
        try env.setJSON("doc", ["k": "v"])
        #expect(env.bool("flag") && env.int("n") == 3 && env.list("items") == ["a", "b"])
        #expect(try env.decode("doc", as: [String: String].self) == ["k": "v"])
        let stdin = ByteStream()
        stdin.write([1, 2, 3])
        stdin.finish()
        let job = engine.job("greet", ["x", "y"], env: env, stdin: stdin)
        #expect(job.status == .pending)
        async let errors = job.stderr.collect()
        let out = try await job.output()
        #expect(String(decoding: out, as: UTF8.self) == "hello berth x,y 3")
        #expect(await errors == Array("note".utf8))
        #expect(job.status == .ok)
        #expect(job.callDescription == "greet(x, y)")
        await #expect(throws: EngineError.alreadyRun("greet")) { try await job.run() }
    }

    @Test func failedJobKeepsTheErrorsStatus() async throws {
        let engine = Engine()
        await engine.register("find") { _ in throw APIError.notFound("No such container: x") }
        let job = engine.job("find")
        await #expect(throws: APIError.notFound("No such container: x")) { try await job.run() }
        #expect(job.status == .failed(.notFound, "No such container: x"))
        let stats = await engine.jobStats["find"]
        #expect(stats?.count == 1)
        #expect(stats?.errors == 1)
    }

    @Test func unknownJobIsAClearError() async throws {
        let engine = Engine()
        let job = engine.job("nosuch")
        await #expect(throws: EngineError.noSuchJob("nosuch")) { try await job.run() }
        #expect(job.status == .failed(.notFound, "no such job: nosuch"))
    }

    @Test func countsAndTimesJobsPerName() async throws {
        let engine = Engine()
        await engine.register("tick") { _ in try await Task.sleep(for: .milliseconds(5)) }
        for _ in 0..<3 { try await engine.job("tick").run() }
        let stats = try #require(await engine.jobStats["tick"])
        #expect(stats.count == 3)
        #expect(stats.errors == 0)
        #expect(stats.maxDuration >= .milliseconds(5))
        #expect(stats.totalDuration >= stats.maxDuration)
        #expect(stats.totalDuration >= .milliseconds(15))
    }

    @Test func cancellingTheCallerCancelsTheJob() async throws {
        let engine = Engine()
        let sawCancel = Locked(false)
        await engine.register("forever") { _ in
            do {
                try await Task.sleep(for: .seconds(60))
            } catch {
                sawCancel.withLock { $0 = true }
                throw error
            }
        }
        let caller = Task { try await engine.job("forever").run() }
        try await Task.sleep(for: .milliseconds(20))
        #expect(await engine.runningJobs.map(\.call) == ["forever()"])
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(sawCancel.withLock { $0 })
        #expect(await engine.runningJobs.isEmpty)
    }

    @Test func shutdownRefusesNewJobsWaitsCancelsAndRunsHooksInReverse() async throws {
        let engine = Engine()
        let order = Locked<[String]>([])
        await engine.register("quick") { _ in try await Task.sleep(for: .milliseconds(30)) }
        // Ignores cancellation, like a careless handler, until the test lets it go (however slow
        // the machine, it cannot end before the hooks have run).
        let release = Locked<CheckedContinuation<Void, Never>?>(nil)
        await engine.register("stubborn") { _ in
            await withCheckedContinuation { continuation in release.withLock { $0 = continuation } }
            order.withLock { $0.append("stubborn ended") }
        }
        await engine.onShutdown { order.withLock { $0.append("hook 1") } }
        await engine.onShutdown { order.withLock { $0.append("hook 2") } }
        let quick = Task { try await engine.job("quick").run() }
        let stubborn = Task { try await engine.job("stubborn").run() }
        // Both jobs must be running before shutdown begins (bounded wait).
        for _ in 0..<500 where await engine.runningJobs.count < 2 { try await Task.sleep(for: .milliseconds(10)) }
        await engine.shutdown(timeout: .milliseconds(200))
        try await quick.value  // finished within the timeout
        #expect(order.withLock { $0 } == ["hook 2", "hook 1"],
                "hooks ran in reverse order without waiting for the job that ignores cancellation")
        for _ in 0..<500 where release.withLock({ $0 == nil }) { try await Task.sleep(for: .milliseconds(10)) }
        release.withLock { $0?.resume(); $0 = nil }
        _ = await stubborn.result
        #expect(order.withLock { $0 } == ["hook 2", "hook 1", "stubborn ended"])
        await #expect(throws: EngineError.shuttingDown) { try await engine.job("quick").run() }
    }
}
