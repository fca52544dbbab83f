@testable import BerthRuntime
import BerthTesting
import BerthTransport
import Foundation
import Testing

/// A cgroup's statistics, as `docker stats` and `runc events --stats` show them.
struct CgroupStatsTests {
    @Test func cgroup2FilesAreReadIntoTheSameUnitsAsV1() throws {
        let mount = try TestDirectory.make("cgroup2-stats")
        let directory = mount + "/c"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let files = [
            "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n",
            "memory.current": "4096\n", "memory.peak": "8192\n", "memory.max": "max\n",
            "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
            "memory.stat": "anon 1024\nfile 2048\n", "memory.swap.current": "0\n", "memory.swap.max": "max\n",
            "pids.current": "2\n", "pids.max": "100\n",
            "io.stat": "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
        ]
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: false, encoding: .utf8) }
        let stats = try Cgroup(path: "/c", layout: CgroupLayout(v1: [], unified: mount)).stats()
        #expect(stats.cpu.total == 1_500_000 && stats.cpu.user == 1_000_000 && stats.cpu.kernel == 500_000, "nanoseconds")
        #expect(stats.cpu.periods == 4 && stats.cpu.throttledPeriods == 1 && stats.cpu.throttledTime == 20_000)
        #expect(stats.memory.usage == .init(usage: 4096, max: 8192, failcnt: 3, limit: UInt64.max))
        #expect(stats.memory.cache == 2048 && stats.memory.raw["anon"] == 1024)
        #expect(stats.pids == .init(current: 2, limit: 100))
        #expect(stats.ioServiceBytes == [.init(major: 8, minor: 0, op: "Read", value: 4096), .init(major: 8, minor: 0, op: "Write", value: 8192)])
        #expect(stats.ioServiced.map(\.value) == [1, 2])
    }

    @Test func v1BlockIOLinesLeaveTheTotalOut() {
        let entries = Cgroup.blockIOV1("8:0 Read 512\n8:0 Write 1024\n8:0 Sync 0\nTotal 1536")
        #expect(entries.map(\.op) == ["Read", "Write", "Sync"])
        #expect(entries.first == .init(major: 8, minor: 0, op: "Read", value: 512))
    }

    @Test(.enabled(if: TestInit.usable && CgroupLayout.current().hierarchy(for: "pids") != nil
                   && CgroupLayout.current().hierarchy(for: "memory") != nil, "needs root, busybox and v1 pids and memory"))
    func aRunningContainerShowsItsCPUMemoryAndPids() async throws {
        var resources = RuntimeSpec.Resources()
        resources.pids = .init(limit: 50)
        var memory = RuntimeSpec.Memory()
        memory.limit = 64 << 20
        resources.memory = memory
        try await withCgroup(resources: resources) { cgroup in
            let spec = try busyboxSpec(["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 30 & echo busy; wait"])
            let container = try await startInCgroup(spec, cgroup)
            let out = container.out
            let count = try await BlockingPool.shared.run {
                var line = [UInt8](repeating: 0, count: 5)
                return read(out, &line, 5)
            }
            #expect(count == 5, "the loop ran")
            let stats = try await BlockingPool.shared.run { cgroup.stats() }
            #expect(stats.cpu.total > 1_000_000, "a shell loop of 20,000 rounds took over a millisecond of CPU: \(stats.cpu)")
            #expect(stats.cpu.perCPU.reduce(0, +) > 0)
            #expect(stats.pids == .init(current: 2, limit: 50), "the shell and its sleep")
            #expect(stats.memory.usage.usage > 0 && stats.memory.usage.limit == 64 << 20)
            try container.process.signal(SIGKILL)
            _ = try await container.exit()
            close(container.out)
        }
    }
}
