@testable import BerthRuntime
import BerthTesting
import BerthTransport
import Foundation
import Testing

/// Runs `process` in `container` and returns its exit and output.
func execute(_ process: RuntimeSpec.Process, in container: ContainerRun.Created, spec: RuntimeSpec,
             cgroup: Cgroup? = nil, throughPidfd: Bool = true) async throws -> ContainerRun {
    guard let binary = TestInit.binary else { throw RuntimeError.invalid("berthd is not built next to the tests") }
    let out = try StdioPipe(), err = try StdioPipe()
    let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
    let executed: ContainerProcess
    do {
        defer {
            close(null)
            close(out.write)
            close(err.write)
        }
        executed = try await ContainerProcess.exec(process, container: (container.process.pid, container.process.pidfd),
                                                   namespaces: spec.linux?.namespaces ?? [],
                                                   seccomp: spec.linux?.seccomp, binary: binary,
                                                   stdio: .init(input: null, output: out.write, error: err.write),
                                                   throughPidfd: throughPidfd, cgroup: cgroup)
    } catch {
        close(out.read)
        close(err.read)
        throw error
    }
    let created = ContainerRun.Created(process: executed, out: out.read, err: err.read)
    try await executed.start()
    let exit = try await created.exit()
    return ContainerRun(exit: exit, stdout: try await created.stdout(), stderr: try await created.stderr())
}

func execProcess(_ args: [String], uid: UInt32 = 0) -> RuntimeSpec.Process {
    var process = RuntimeSpec.Process()
    process.args = args
    process.env = ["PATH=/bin"]
    process.user = .init(uid: uid, gid: uid)
    let capabilities = uid == 0 ? Capability.dockerDefaults : []
    process.capabilities = .init(bounding: Capability.dockerDefaults, effective: capabilities, inheritable: capabilities,
                                 permitted: capabilities)
    return process
}

@Suite(.enabled(if: TestInit.usable, "needs root, /bin/busybox and berthd built next to the tests"))
struct ExecTests {
    /// A running `sleep 300` container (long: on a loaded machine the exec may come late) for `body`, killed afterwards.
    private func withRunningContainer(_ body: (ContainerRun.Created, RuntimeSpec) async throws -> Void) async throws {
        let spec = try busyboxSpec(["sleep", "300"])
        let container = try await ContainerRun.create(spec)
        do {
            try await container.process.start()
            try await body(container, spec)
        } catch {
            try? container.process.signal(SIGKILL)
            _ = try? await container.exit()
            throw error
        }
        try container.process.signal(SIGKILL)
        _ = try await container.exit()
        close(container.out)
        close(container.err)
    }

    @Test func anExecJoinsTheContainersNamespacesAndRoot() async throws {
        try await withRunningContainer { container, spec in
            let run = try await execute(execProcess(["sh", "-c", "hostname; cat /proc/1/cmdline | tr '\\0' ' '; echo; cat /etc/passwd | head -1"]),
                                        in: container, spec: spec)
            #expect(run.exit.code == 0, "\(run.stderr)")
            #expect(run.stdout == "berth-test\nsleep 300 \nroot:x:0:0:root:/root:/bin/sh\n")
            // Its own pid in the container's pid namespace.
            let pid = try await execute(execProcess(["sh", "-c", "echo $$"]), in: container, spec: spec)
            #expect(Int(pid.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1 > 1)
        }
    }

    @Test func anExecJoinsThroughNamespaceFilesWhereThereIsNoPidfdJoin() async throws {
        try await withRunningContainer { container, spec in
            let run = try await execute(execProcess(["sh", "-c", "hostname; readlink /proc/self/ns/net"]), in: container, spec: spec,
                                        throughPidfd: false)
            let network = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(container.process.pid)/ns/net")
            #expect(run.stdout == "berth-test\n\(network)\n", "\(run.stderr)")
        }
    }

    @Test func anExecRunsAsItsUserWithItsExitCode() async throws {
        try await withRunningContainer { container, spec in
            let run = try await execute(execProcess(["sh", "-c", "id -u; id -g; exit 7"], uid: 65534), in: container, spec: spec)
            #expect(run.stdout == "65534\n65534\n")
            #expect(run.exit.code == 7)
        }
    }

    @Test func aMissingCommandInAnExecIsRefusedInDockersWords() async throws {
        try await withRunningContainer { container, spec in
            let error = await #expect(throws: RuntimeError.self) {
                _ = try await execute(execProcess(["nosuch"]), in: container, spec: spec)
            }
            #expect(error?.message == "exec: \"nosuch\": executable file not found in $PATH")
        }
    }

    @Test func anExecIntoAStoppedContainerIsAConflict() async throws {
        let spec = try busyboxSpec(["true"])
        let container = try await ContainerRun.create(spec)
        try await container.process.start()
        _ = try await container.exit()
        let error = await #expect(throws: RuntimeError.self) { _ = try await execute(execProcess(["true"]), in: container, spec: spec) }
        #expect(error?.kind == .conflict)
        close(container.out)
        close(container.err)
    }

    @Test(.enabled(if: CgroupLayout.current().hierarchy(for: "pids") != nil, "needs the pids controller"))
    func anExecJoinsTheContainersCgroup() async throws {
        try await withCgroup { cgroup in
            let spec = try busyboxSpec(["sleep", "300"])
            let container = try await startInCgroup(spec, cgroup)
            let run = try await execute(execProcess(["cat", "/proc/self/cgroup"]), in: container, spec: spec, cgroup: cgroup)
            #expect(run.stdout.contains("pids:\(cgroup.path)"), "\(run.stdout)")
            try container.process.signal(SIGKILL)
            _ = try await container.exit()
            close(container.out)
        }
    }
}
