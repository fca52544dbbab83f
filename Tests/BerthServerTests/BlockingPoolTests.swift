import BerthSync
import BerthTransport
import Foundation
import Testing

/// The blocking pool starts threads as work needs them, never more than its size, and work
/// beyond them waits its turn.
struct BlockingPoolTests {
    /// The pool's threads alive now, by their names.
    private func threads(named prefix: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            ((try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? "").hasPrefix(prefix)
        }.count
    }

    @Test func threadsStartOnDemandUpToTheSizeAndExtraWorkWaits() async throws {
        let name = "bp-\(getpid() % 10000)"
        let pool = BlockingPool(name: name, threads: 2)
        #expect(threads(named: name) == 0, "no thread before any work")
        #expect(try await pool.run { 7 } == 7)
        #expect(threads(named: name) == 1, "one thread for one job at a time")

        let running = Locked(0), most = Locked(0)
        let gate = DispatchSemaphore(value: 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    try await pool.run {
                        let now = running.withLock { $0 += 1; return $0 }
                        most.withLock { $0 = max($0, now) }
                        _ = gate.wait(timeout: .now() + 10)
                        running.withLock { $0 -= 1 }
                    }
                }
            }
            // Let the jobs pile up (two running, three waiting), then release them.
            for _ in 0..<1000 where running.withLock({ $0 }) < 2 { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(50))
            #expect(running.withLock { $0 } == 2, "two jobs run at once, the others wait")
            for _ in 0..<5 { gate.signal() }
            try await group.waitForAll()
        }
        #expect(most.withLock { $0 } == 2, "two at once, no more")
        #expect(threads(named: name) == 2)
    }
}
