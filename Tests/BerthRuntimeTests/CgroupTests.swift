@testable import BerthRuntime
import BerthTesting
import BerthTransport
import Foundation
import Testing

/// Test cgroups are named `/berth-test-<pid>-<random>`; those of test processes that no longer
/// run (killed mid-test) are killed and removed by the next run.
enum TestCgroups {
    static let prefix = "berth-test-"

    static let leftoversRemoved: Void = {
        let layout = CgroupLayout.current()
        var names: Set<String> = []
        for root in layout.v1.map(\.mountPoint) + (layout.unified.map { [$0] } ?? []) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where name.hasPrefix(prefix) {
                names.insert(name)
            }
        }
        for name in names {
            guard let pid = Int32(name.dropFirst(prefix.count).prefix { $0 != "-" }), kill(pid, 0) != 0, errno == ESRCH,
                  let cgroup = try? Cgroup(path: "/" + name, layout: layout) else { continue }
            try? cgroup.kill(SIGKILL)
            try? cgroup.destroy()
        }
    }()
}

/// A cgroup for one test, killed and removed afterwards whatever happened.
func withCgroup<T>(layout: CgroupLayout = .current(), resources: RuntimeSpec.Resources? = nil,
                   _ body: (Cgroup) async throws -> T) async throws -> T {
    try await BlockingPool.shared.run { TestCgroups.leftoversRemoved }
    let cgroup = try Cgroup(path: "/\(TestCgroups.prefix)\(getpid())-\(UUID().uuidString.prefix(8).lowercased())", layout: layout)
    try await BlockingPool.shared.run { try cgroup.create(resources) }
    func cleanUp() async {
        try? await BlockingPool.shared.run {
            try? cgroup.kill(SIGKILL)
            _ = try? cgroup.destroy()
        }
    }
    do {
        let result = try await body(cgroup)
        await cleanUp()
        return result
    } catch {
        await cleanUp()
        throw error
    }
}

/// Reads a cgroup file off the cooperative pool.
func cgroupFile(_ path: String) async throws -> String {
    try await BlockingPool.shared.run { try CgroupFile.read(path) }
}

/// Starts a container in `cgroup` and returns it running.
func startInCgroup(_ spec: RuntimeSpec, _ cgroup: Cgroup) async throws -> ContainerRun.Created {
    guard let binary = TestInit.binary else { throw RuntimeError.invalid("berthd is not built next to the tests") }
    let out = try StdioPipe()
    let null = open("/dev/null", O_RDWR | O_CLOEXEC)
    defer {
        close(null)
        close(out.write)
    }
    let process = try await ContainerProcess.create(spec: spec, binary: binary, stdio: .init(input: null, output: out.write, error: null),
                                                    cgroup: cgroup)
    try await process.start()
    return ContainerRun.Created(process: process, out: out.read, err: -1)
}

private let hasV1 = !CgroupLayout.current().v1.isEmpty
private let unifiedMount = CgroupLayout.current().unified

@Suite(.enabled(if: TestInit.usable, "needs root, /bin/busybox and berthd built next to the tests"))
struct CgroupTests {
    @Test func theLayoutIsReadFromMountinfo() {
        let text = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:7 - cgroup2 cgroup2 rw,nsdelegate
            42 31 0:39 / /mnt/a\\040-\\040cgroup\\040b rw shared:5 - ext4 /dev/sda rw
            43 31 0:40 / /sys/fs/cgroup/pids rw,relatime shared:9 master:2 - cgroup cgroup rw,pids
            """
        let layout = CgroupLayout.parse(mountinfo: text)
        #expect(layout.mode == .hybrid)
        #expect(layout.v1.map(\.controllers) == [["cpu", "cpuacct"], ["memory"], ["name=systemd"], ["pids"]],
                "optional fields before the separator; an escaped \" - cgroup \" in a path is not a type")
        #expect(layout.hierarchy(for: "cpuacct")?.mountPoint == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(layout.unified == "/sys/fs/cgroup/unified")
        #expect(CgroupLayout.parse(mountinfo: "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw").mode == .v2)
    }

    @Test func badPathsAreRefused() {
        #expect(throws: RuntimeError.self) { try Cgroup(path: "relative/path") }
        #expect(throws: RuntimeError.self) { try Cgroup(path: "/docker/../../etc") }
        let systemd = #expect(throws: RuntimeError.self) { try Cgroup(path: "system.slice:docker:abc") }
        #expect(systemd?.kind == .notImplemented)
    }

    @Test(.enabled(if: hasV1, "needs cgroup v1 controllers"))
    func limitsReachTheV1Files() async throws {
        var resources = RuntimeSpec.Resources()
        var memory = RuntimeSpec.Memory()
        memory.limit = 64 << 20
        memory.swap = 128 << 20
        resources.memory = memory
        var cpu = RuntimeSpec.CPU()
        cpu.shares = 512
        cpu.quota = 50_000
        cpu.period = 100_000
        resources.cpu = cpu
        resources.pids = .init(limit: 100)
        resources.devices = [.init(allow: false, access: "rwm"), .init(allow: true, type: "c", major: 1, minor: 3, access: "rwm")]
        try await withCgroup(resources: resources) { cgroup in
            let memory = try #require(cgroup.v1Directory("memory"))
            #expect(try await cgroupFile(memory + "/memory.limit_in_bytes") == String(64 << 20))
            #expect(try await cgroupFile(memory + "/memory.memsw.limit_in_bytes") == String(128 << 20))
            let cpu = try #require(cgroup.v1Directory("cpu"))
            #expect(try await cgroupFile(cpu + "/cpu.shares") == "512")
            #expect(try await cgroupFile(cpu + "/cpu.cfs_quota_us") == "50000")
            #expect(try await cgroupFile(try #require(cgroup.v1Directory("pids")) + "/pids.max") == "100")
            // The configuration's rules, then the devices every container's /dev holds (runc's list).
            let devices = try await cgroupFile(try #require(cgroup.v1Directory("devices")) + "/devices.list")
            #expect(devices.split(separator: "\n").sorted() == ["b *:* m", "c *:* m", "c 10:200 rwm", "c 136:* rwm", "c 1:3 rwm",
                                                                 "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm"])
            // A cpuset level starts with its parent's CPUs, or no task could join it.
            if let cpuset = cgroup.v1Directory("cpuset") {
                #expect(try await !cgroupFile(cpuset + "/cpuset.cpus").isEmpty)
            }
        }
    }

    @Test(.enabled(if: hasV1, "needs cgroup v1 controllers"))
    func theDirectoriesGoWithDestroy() async throws {
        let directories = try await withCgroup { cgroup in
            #expect(cgroup.directories.allSatisfy { FileManager.default.fileExists(atPath: $0) })
            return cgroup.directories
        }
        #expect(directories.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
    }

    @Test(.enabled(if: CgroupLayout.current().hierarchy(for: "pids") != nil, "needs the pids controller"))
    func aForkBombIsConfinedByItsPidsLimit() async throws {
        var resources = RuntimeSpec.Resources()
        resources.pids = .init(limit: 100)
        try await withCgroup(resources: resources) { cgroup in
            let pids = try #require(cgroup.v1Directory("pids"))
            let spec = try busyboxSpec(["sh", "-c", "i=0; while [ $i -lt 1000 ]; do sleep 30 & i=$((i+1)); done 2>/dev/null; exec sleep 30"])
            let container = try await startInCgroup(spec, cgroup)
            // The kernel refuses forks past the limit (pids.events counts the refusals), and the
            // shell gives up on the first refusal.
            #expect(await eventually {
                (try? await cgroupFile(pids + "/pids.events")).map { $0 != "max 0" } ?? false
            }, "forks were refused")
            #expect(Int(try await cgroupFile(pids + "/pids.current")) ?? 0 <= 100)
            let exit = try await container.exit()
            #expect(exit.code == 2, "sh: can't fork: \(exit)")
            // PID 1 gone, the kernel killed the rest of its pid namespace.
            #expect(await eventually { (try? await BlockingPool.shared.run { try cgroup.processes() })?.isEmpty ?? false })
            close(container.out)
        }
    }

    @Test(.enabled(if: CgroupLayout.current().hierarchy(for: "freezer") != nil || unifiedMount != nil, "needs a freezer"))
    func aFrozenContainerThawsAndAKillReachesItWhileFrozen() async throws {
        try await withCgroup { cgroup in
            let container = try await startInCgroup(try busyboxSpec(["sleep", "30"]), cgroup)
            try await BlockingPool.shared.run { try cgroup.freeze() }
            #expect(cgroup.isFrozen)
            try await BlockingPool.shared.run { try cgroup.thaw() }
            #expect(!cgroup.isFrozen)
            try await BlockingPool.shared.run { try cgroup.freeze() }
            // A kill aimed at a frozen container thaws it afterwards, or it would sleep through.
            try await BlockingPool.shared.run { try cgroup.kill(SIGKILL) }
            #expect(try await container.exit() == ExitStatus(code: 137, signal: SIGKILL))
            close(container.out)
        }
    }

    @Test(.enabled(if: CgroupLayout.current().hierarchy(for: "memory") != nil, "needs the memory controller"))
    func anOOMKillIsSeenAsExit137AndCounted() async throws {
        var resources = RuntimeSpec.Resources()
        var memory = RuntimeSpec.Memory()
        // Room for init itself (2 MiB here, 21 MiB in a sanitizer build), not for 200 MB of 'a'.
        memory.limit = 64 << 20
        memory.swap = 64 << 20
        resources.memory = memory
        try await withCgroup(resources: resources) { cgroup in
            let spec = try busyboxSpec(["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo ${#x}"])
            let container = try await startInCgroup(spec, cgroup)
            let exit = try await container.exit()
            close(container.out)
            #expect(exit.code == 137 || cgroup.oomKills > 0, "\(exit)")
            #expect(cgroup.oomKills >= 1)
        }
    }

    @Test(.enabled(if: CgroupLayout.current().hierarchy(for: "pids") != nil, "needs the pids controller"),
          arguments: [false, true])
    func theContainerSeesItsOwnCgroupReadOnly(ownNamespace: Bool) async throws {
        var resources = RuntimeSpec.Resources()
        resources.pids = .init(limit: 50)
        try await withCgroup(resources: resources) { cgroup in
            var spec = try busyboxSpec(["sh", "-c", "ls /sys/fs/cgroup; cat /sys/fs/cgroup/pids/pids.max; touch /sys/fs/cgroup/x || echo read-only; grep pids /proc/self/cgroup"])
            spec.mounts?.append(RuntimeSpec.dockerCgroupMount)
            if ownNamespace { spec.linux?.namespaces?.append(.init(type: "cgroup")) }
            let container = try await startInCgroup(spec, cgroup)
            #expect(try await container.exit().code == 0)
            let lines = try await container.stdout().split(separator: "\n").map(String.init)
            let names = cgroup.layout.v1.map { String($0.mountPoint.split(separator: "/").last ?? "") }
                + (cgroup.layout.unified.map { _ in ["unified"] } ?? [])
            #expect(Set(lines).isSuperset(of: names), "\(lines)")
            #expect(lines.contains("50"), "the container's own pids.max")
            #expect(lines.contains("read-only"))
            let membership = try #require(lines.last)
            #expect(membership.hasSuffix(ownNamespace ? ":/" : ":\(cgroup.path)"), "\(membership)")
        }
    }

    @Test(.enabled(if: unifiedMount != nil && TestInit.usable, "needs a cgroup2 mount"))
    func onCgroup2MembershipFreezeAndKillWork() async throws {
        let layout = CgroupLayout(v1: [], unified: unifiedMount)
        try await withCgroup(layout: layout) { cgroup in
            let unified = try #require(cgroup.unifiedDirectory)
            let container = try await startInCgroup(try busyboxSpec(["sleep", "30"]), cgroup)
            #expect(try await cgroupFile(unified + "/cgroup.procs").split(separator: "\n").contains(Substring(String(container.process.pid))))
            try await BlockingPool.shared.run { try cgroup.freeze() }
            #expect(try await cgroupFile(unified + "/cgroup.events").contains("frozen 1"))
            try await BlockingPool.shared.run { try cgroup.kill(SIGKILL) }  // cgroup.kill reaches frozen tasks
            #expect(try await container.exit() == ExitStatus(code: 137, signal: SIGKILL))
            close(container.out)
        }
    }

    /// dockerd sends every field with `docker update`, 0 for those not given: they stay as they are.
    @Test func anUpdateLeavesWhatItDoesNotSet() async throws {
        let directory = try TestDirectory.make("cgroup2-update")
        let before = ["memory.max": "67108864", "memory.swap.max": "0", "cpu.max": "50000 100000", "pids.max": "50"]
        for (file, value) in before { try value.write(toFile: directory + "/" + file, atomically: false, encoding: .utf8) }
        var update = RuntimeSpec.Resources()
        var memory = RuntimeSpec.Memory()
        memory.limit = 0
        memory.swap = 0
        update.memory = memory
        var cpu = RuntimeSpec.CPU()
        cpu.quota = 0
        cpu.period = 0
        update.cpu = cpu
        update.pids = .init(limit: 33)
        try CgroupLimitsV2(directory: directory).apply(update)
        func content(_ file: String) throws -> String { try String(contentsOfFile: directory + "/" + file, encoding: .utf8) }
        #expect(try content("memory.max") == "67108864" && content("memory.swap.max") == "0" && content("cpu.max") == "50000 100000")
        #expect(try content("pids.max") == "33")

        guard CgroupLayout.current().hierarchy(for: "memory") != nil, CgroupLayout.current().hierarchy(for: "pids") != nil else { return }
        var resources = RuntimeSpec.Resources()
        var limited = RuntimeSpec.Memory()
        limited.limit = 64 << 20
        resources.memory = limited
        resources.pids = .init(limit: 50)
        try await withCgroup(resources: resources) { cgroup in
            let change = update
            try await BlockingPool.shared.run { try cgroup.update(change) }
            #expect(try await cgroupFile(try #require(cgroup.v1Directory("memory")) + "/memory.limit_in_bytes") == String(64 << 20))
            #expect(try await cgroupFile(try #require(cgroup.v1Directory("pids")) + "/pids.max") == "33")
        }
    }

    @Test func cgroup2LimitsAreConvertedAsRuncConvertsThem() throws {
        let directory = try TestDirectory.make("cgroup2")
        for file in ["memory.max", "memory.swap.max", "memory.low", "cpu.weight", "cpu.max", "pids.max", "io.weight", "cpuset.cpus"] {
            try Data().write(to: URL(fileURLWithPath: directory + "/" + file))
        }
        var resources = RuntimeSpec.Resources()
        var memory = RuntimeSpec.Memory()
        memory.limit = 64 << 20
        memory.swap = 128 << 20
        memory.reservation = 32 << 20
        resources.memory = memory
        var cpu = RuntimeSpec.CPU()
        cpu.shares = 512
        cpu.quota = 50_000
        cpu.period = 100_000
        cpu.cpus = "0"
        resources.cpu = cpu
        resources.pids = .init(limit: 100)
        resources.blockIO = .init(weight: 500)
        try CgroupLimitsV2(directory: directory).apply(resources)
        func content(_ file: String) throws -> String { try String(contentsOfFile: directory + "/" + file, encoding: .utf8) }
        #expect(try content("memory.max") == String(64 << 20))
        #expect(try content("memory.swap.max") == String(64 << 20), "swap alone: 128 MiB of memory+swap less 64 of memory")
        #expect(try content("memory.low") == String(32 << 20))
        #expect(try content("cpu.weight") == "20", "shares 512 → weight 1 + 510 × 9999 / 262142")
        #expect(try content("cpu.max") == "50000 100000")
        #expect(try content("pids.max") == "100")
        #expect(try content("io.weight") == "default 4950")
        #expect(try content("cpuset.cpus") == "0")
        resources = RuntimeSpec.Resources()
        resources.pids = .init(limit: -1)
        try CgroupLimitsV2(directory: directory).apply(resources)
        #expect(try content("pids.max") == "max", "-1 is unlimited (0 leaves it as it is)")
        resources.devices = [.init(allow: true, type: "c", major: 1, minor: 3, access: "rwm")]
        let devices = #expect(throws: RuntimeError.self) { try CgroupLimitsV2(directory: directory).apply(resources) }
        #expect(devices?.kind == .notImplemented)
    }
}
