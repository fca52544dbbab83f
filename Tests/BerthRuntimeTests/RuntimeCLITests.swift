import BerthCore
@testable import BerthRuntime
import BerthTesting
import CBerthRuntime
import CBerthSys
import BerthTransport
import Foundation
import Testing

/// `berth-runtime` run as containerd's shim runs it: a child process with its own root, its
/// output in files (a detached container keeps what it inherited open, so pipes would not end).
struct RuntimeTool {
    let root: String
    static let path = BuiltExecutable.path("berth-runtime")

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    init() throws {
        root = try TestDirectory.make("runtime-root")
    }

    /// Runs `berth-runtime --root <root> <arguments>` with `input` on stdin, waiting at most 30 s.
    func run(_ arguments: [String], input: String? = nil, global: [String] = []) async throws -> Outcome {
        let tool = try #require(Self.path)
        let out = TestDirectory.path("out"), err = TestDirectory.path("err"), inputPath = TestDirectory.path("in")
        try Data(input.map { Array($0.utf8) } ?? []).write(to: URL(fileURLWithPath: inputPath))
        let descriptors = [open(inputPath, O_RDONLY | O_CLOEXEC), open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600),
                           open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)]
        defer { for fd in descriptors where fd >= 0 { close(fd) } }
        guard !descriptors.contains(-1) else { throw RuntimeError.system("open the files for berth-runtime", errno) }
        let process = try await ProcessHandle.start(tool, arguments: [tool, "--root", root] + global + arguments,
                                                    environment: ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" },
                                                    descriptors: descriptors)
        let status = try await withThrowingTaskGroup(of: Int32?.self) { group in
            group.addTask { try await process.wait().code }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let status = first else {
                try? process.signal(SIGKILL)
                throw RuntimeError(kind: .system, message: "berth-runtime \(arguments) did not exit within 30 s")
            }
            return status
        }
        // SmallFile: FoundationEssentials' readers leak 4 KiB on every empty file (CONTRIBUTING).
        return Outcome(status: status, stdout: SmallFile.text(out) ?? "", stderr: SmallFile.text(err) ?? "")
    }

    /// A bundle: a busybox root at `rootfs` and a `config.json` from `spec` (its root made
    /// relative), in a cgroup of its own that the tests' cgroup reaper knows.
    static func bundle(_ args: [String], edit: (inout RuntimeSpec) -> Void = { _ in }) throws -> String {
        let bundle = try TestDirectory.make("bundle")
        var spec = try busyboxSpec(args)
        let rootfs = try #require(spec.root?.path)
        try FileManager.default.moveItem(atPath: rootfs, toPath: bundle + "/rootfs")
        spec.root = .init(path: "rootfs")
        spec.mounts?.append(RuntimeSpec.dockerCgroupMount)
        spec.linux?.cgroupsPath = "/\(TestCgroups.prefix)\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
        edit(&spec)
        try Data(spec.jsonDocument).write(to: URL(fileURLWithPath: bundle + "/config.json"))
        return bundle
    }

    /// The `status` field of `state ID`.
    func status(_ id: String) async throws -> String? {
        let state = try await run(["state", id])
        guard state.status == 0, let object = try JSONSerialization.jsonObject(with: Data(state.stdout.utf8)) as? [String: Any] else {
            return nil
        }
        return object["status"] as? String
    }
}

@Suite(.enabled(if: TestInit.usable && RuntimeTool.path != nil, "needs root, /bin/busybox and berth-runtime built next to the tests"))
struct RuntimeCLITests {
    @Test func runGivesTheContainersStatusAndOutputAndLeavesNothing() async throws {
        let tool = try RuntimeTool()
        let bundle = try RuntimeTool.bundle(["sh", "-c", "echo hi from $(hostname); exit 3"])
        let run = try await tool.run(["run", "--bundle", bundle, "r1"])
        #expect(run.status == 3, "\(run.stderr)")
        #expect(run.stdout == "hi from berth-test\n")
        #expect(try await tool.run(["list", "--format", "json"]).stdout == "[]\n")
        #expect(try await tool.run(["state", "r1"]).stderr == "berth-runtime: container does not exist\n")
    }

    @Test func eventsStreamStatsUntilTheContainerStops() async throws {
        let tool = try RuntimeTool()
        // The container runs until the test drops a file into its root.
        let bundle = try RuntimeTool.bundle(["sh", "-c", "until [ -e /stop ]; do sleep 0.05; done"])
        #expect(try await tool.run(["run", "--detach", "--bundle", bundle, "ev"]).status == 0)
        #expect(try await tool.run(["events", "--interval", "5 parsecs", "ev"]).stderr
                == "berth-runtime: invalid interval \"5 parsecs\": use a duration such as 5s or 500ms\n")
        let stopper = Task {
            try await Task.sleep(for: .seconds(1))
            try Data().write(to: URL(fileURLWithPath: bundle + "/rootfs/stop"))
        }
        let stream = try await tool.run(["events", "--interval", "200ms", "ev"])
        try await stopper.value
        #expect(stream.status == 0, "the stream ends when the container stops: \(stream.stderr)")
        let events = try stream.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(events.count >= 2, "one at once, then one every 200 ms until the stop a second later: \(events.count)")
        #expect(events.allSatisfy { $0["type"] as? String == "stats" && $0["id"] as? String == "ev" })
        #expect(try await tool.run(["delete", "ev"]).status == 0)
    }

    @Test func theShimsLifecycleCreateStartExecPauseUpdateKillDelete() async throws {
        let tool = try RuntimeTool()
        let bundle = try RuntimeTool.bundle(["sleep", "300"])
        let spec = try RuntimeSpec(jsonDocument: Array(Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))))
        let cgroup = try Cgroup(path: try #require(spec.linux?.cgroupsPath))
        let pidFile = TestDirectory.path("pid")
        let created = try await tool.run(["create", "--bundle", bundle, "--pid-file", pidFile, "c1"])
        #expect(created.status == 0, "\(created.stderr)")
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8)))
        #expect(try await tool.status("c1") == "created")
        #expect(try await tool.run(["start", "c1"]).status == 0)
        #expect(try await tool.status("c1") == "running")
        #expect(try await tool.run(["start", "c1"]).stderr == "berth-runtime: cannot start an already running container\n")

        // exec as the shim does it: a process file, detached, with a pid file; and attached.
        var process = RuntimeSpec.Process()
        process.args = ["sh", "-c", "echo exec in $(hostname) >&2; exit 4"]
        process.env = ["PATH=/bin"]
        let processFile = TestDirectory.path("process", suffix: ".json")
        try Data(process.jsonDocument).write(to: URL(fileURLWithPath: processFile))
        let attached = try await tool.run(["exec", "--process", processFile, "c1"])
        #expect(attached.status == 4)
        #expect(attached.stderr == "exec in berth-test\n")
        let execPid = TestDirectory.path("exec-pid")
        process.args = ["sleep", "300"]
        try Data(process.jsonDocument).write(to: URL(fileURLWithPath: processFile))
        #expect(try await tool.run(["exec", "--process", processFile, "--detach", "--pid-file", execPid, "c1"]).status == 0)
        let detached = try #require(Int32(try String(contentsOfFile: execPid, encoding: .utf8)))
        let pids = try await tool.run(["ps", "--format", "json", "c1"]).stdout
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(pids.utf8)) as? [Int])
        #expect(Set(listed) == [Int(pid), Int(detached)])

        let events = try await tool.run(["events", "--stats", "c1"])
        let event = try #require(try JSONSerialization.jsonObject(with: Data(events.stdout.utf8)) as? [String: Any], "\(events.stderr)")
        #expect(event["type"] as? String == "stats" && event["id"] as? String == "c1")
        let data = try #require(event["data"] as? [String: Any])
        #expect((data["pids"] as? [String: Any])?["current"] as? Int == 2, "init and the detached exec: \(data["pids"] ?? "")")
        #expect(((data["cpu"] as? [String: Any])?["usage"] as? [String: Any])?["total"] as? Int ?? 0 > 0)
        #expect(try await tool.run(["pause", "c1"]).status == 0)
        #expect(try await tool.status("c1") == "paused")
        #expect(try await tool.run(["resume", "c1"]).status == 0)
        #expect(try await tool.status("c1") == "running")
        #expect(try await tool.run(["update", "--resources", "-", "c1"], input: #"{"pids":{"limit":42}}"#).status == 0)
        if let pidsDirectory = cgroup.v1Directory("pids") {
            #expect(try await cgroupFile(pidsDirectory + "/pids.max") == "42")
        }

        let refused = try await tool.run(["delete", "c1"])
        #expect(refused.stderr == "berth-runtime: cannot delete container c1 that is not stopped: running\n")
        #expect(try await tool.run(["kill", "--all", "c1", "KILL"]).status == 0)
        #expect(await eventually { (try? await tool.status("c1")) == "stopped" })
        #expect(try await tool.run(["delete", "c1"]).status == 0)
        #expect(try await tool.run(["state", "c1"]).status == 1)
        #expect(cgroup.directories.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "the cgroup went with the container")
    }

    @Test func failuresAreReportedInTheLogAsTheShimReadsThemAndLeaveNothing() async throws {
        let tool = try RuntimeTool()
        let log = TestDirectory.path("log", suffix: ".json")
        let bundle = try RuntimeTool.bundle(["true"]) { spec in
            spec.process?.capabilities?.bounding?.append("CAP_NOT_A_THING")
        }
        let failed = try await tool.run(["create", "--bundle", bundle, "bad"], global: ["--log", log, "--log-format", "json"])
        #expect(failed.status == 1)
        let line = try String(contentsOfFile: log, encoding: .utf8)
        let entry = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(entry["level"] as? String == "error")
        #expect(entry["msg"] as? String == "unknown capability \"CAP_NOT_A_THING\"")
        #expect(try await tool.run(["list", "-q"]).stdout == "", "no state left")
        let spec = try RuntimeSpec(jsonDocument: Array(Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))))
        let cgroup = try Cgroup(path: try #require(spec.linux?.cgroupsPath))
        #expect(cgroup.directories.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "no cgroup left")

        try FileManager.default.removeItem(atPath: bundle + "/rootfs")
        #expect(try await tool.run(["create", "--bundle", bundle, "bad"]).stderr.contains("rootfs (\"\(bundle)/rootfs\") does not exist"))
        let systemd = try await tool.run(["create", "--bundle", bundle, "bad"], global: ["--systemd-cgroup"])
        #expect(systemd.stderr == "berth-runtime: the systemd cgroup driver is not supported: use cgroupfs\n")
    }

    /// What init cannot carry out, and the message that says so.
    enum Fault: String, CaseIterable, Sendable {
        case badMount, impossibleUID, unknownCapability

        func apply(to spec: inout RuntimeSpec) {
            switch self {
            case .badMount:
                spec.mounts?.append(.init(destination: "/data", type: "bind", source: "/nonexistent/source", options: ["rbind"]))
            case .impossibleUID: spec.process?.user = .init(uid: UInt32.max, gid: 0)
            case .unknownCapability: spec.process?.capabilities?.effective?.append("CAP_NOT_A_THING")
            }
        }

        var message: String {
            switch self {
            case .badMount: "/nonexistent/source"
            case .impossibleUID: "4294967295 is not a valid user or group ID"
            case .unknownCapability: "unknown capability \"CAP_NOT_A_THING\""
            }
        }
    }

    /// A configuration init cannot carry out fails in a clear message and leaves nothing: no
    /// mount, no cgroup, no process in it, no state.
    @Test(arguments: Fault.allCases)
    func aConfigurationInitCannotCarryOutLeavesNothing(fault: Fault) async throws {
        let message = fault.message
        let tool = try RuntimeTool()
        let bundle = try RuntimeTool.bundle(["true"]) { fault.apply(to: &$0) }
        let run = try await tool.run(["run", "--bundle", bundle, "faulty"])
        #expect(run.status != 0, "\(fault)")
        #expect(run.stderr.contains(message), "\(fault): \(run.stderr)")
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(bundle), "\(fault): no mount of the bundle's left on the host")
        let spec = try RuntimeSpec(jsonDocument: Array(Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))))
        let cgroupPath = try #require(spec.linux?.cgroupsPath)
        let cgroup = try Cgroup(path: cgroupPath)
        #expect(cgroup.directories.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "\(fault): no cgroup left")
        let processes = try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { $0.allSatisfy(\.isNumber) }
        let inside = processes.filter { ((try? String(contentsOfFile: "/proc/\($0)/cgroup", encoding: .utf8)) ?? "").contains(cgroupPath) }
        #expect(inside.isEmpty, "\(fault): no process left")
        #expect(try await tool.run(["list", "-q"]).stdout == "", "\(fault): no state left")
    }

    @Test func aTerminalGoesToTheConsoleSocket() async throws {
        let tool = try RuntimeTool()
        let bundle = try RuntimeTool.bundle(["sh", "-c", "tty; sleep 0.2"]) { $0.process?.terminal = true }
        let socketPath = TestDirectory.path("console", suffix: ".sock")
        let listener = try ConsoleSocketListener(path: socketPath)
        defer { listener.close() }
        let receiving = Task { try await BlockingPool.shared.run { try listener.receive() } }
        let created = try await tool.run(["create", "--bundle", bundle, "--console-socket", socketPath, "t1"])
        #expect(created.status == 0, "\(created.stderr)")
        let (name, master) = try await receiving.value
        #expect(name == "/dev/pts/0")
        #expect(try await tool.run(["start", "t1"]).status == 0)
        #expect(await eventually { (try? await tool.status("t1")) == "stopped" })
        let console = Console(descriptor: master)
        #expect(try await drainTerminal(console) == "/dev/pts/0\n")
        #expect(try await tool.run(["delete", "t1"]).status == 0)
    }
}

/// The receiving end of runc's console socket: one connection, one message with the terminal's
/// name and its master attached.
final class ConsoleSocketListener: Sendable {
    let fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        var length = socklen_t(0)
        guard berth_sockaddr_un(&address, path, &length) == 0 else { throw POSIXError(.ENAMETOOLONG) }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 1) == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    func receive() throws -> (String, Int32) {
        let connection = accept(fd, nil, nil)
        guard connection >= 0 else { throw POSIXError(.EBADF) }
        defer { Glibc.close(connection) }
        var buffer = [UInt8](repeating: 0, count: 256)
        var master: Int32 = -1
        let n = buffer.withUnsafeMutableBytes { berth_recv_with_fd(connection, $0.baseAddress, $0.count, &master) }
        guard n > 0, master >= 0 else { throw POSIXError(.EPROTO) }
        return (String(decoding: buffer[..<n], as: UTF8.self), master)
    }

    func close() { Glibc.close(fd) }
}
