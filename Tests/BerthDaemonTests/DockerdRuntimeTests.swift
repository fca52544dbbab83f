import BerthCore
import BerthTesting
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Docker itself drives `berth-runtime`: Debian's dockerd 20.10, started with
/// `--add-runtime berth=<berth-runtime>`, runs containers through containerd's runc shim, which
/// calls berth-runtime with runc's command line. Each step goes through the real docker CLI.
@Suite(.enabled(if: TestImage.available && ProcessRunner.dockerCLI != nil && ReferenceDockerd.binary != nil && geteuid() == 0
                && BuiltExecutable.path("berth-runtime") != nil,
                "needs root, dockerd (apt-get install docker.io), busybox-static, the docker CLI and berth-runtime built next to the tests"))
struct DockerdRuntimeTests {
    private func docker(_ dockerd: ReferenceDockerd, _ arguments: String..., input: String? = nil) async throws -> ProcessRunner.Outcome {
        try await ProcessRunner.run(try #require(ProcessRunner.dockerCLI), arguments, environment: dockerd.environment, input: input)
    }

    @Test func dockerRunsContainersWithBerthRuntime() async throws {
        let runtime = try #require(BuiltExecutable.path("berth-runtime"))
        try await ReferenceDockerd.with(arguments: ["--add-runtime", "berth=\(runtime)", "--storage-driver=vfs"]) { dockerd in
            let tar = try await TestImage.rootfsTar(in: dockerd.directory, marker: "runtime")
            #expect(try await docker(dockerd, "import", "-c", "CMD [\"sh\"]", tar, "bb:1").status == 0)

            let hi = try await docker(dockerd, "run", "--rm", "--runtime", "berth", "bb:1", "echo", "hi")
            #expect(hi.status == 0, "\(hi.stderr)")
            #expect(hi.stdout == "hi\n")
            for code in [0, 3, 42] {
                let exited = try await docker(dockerd, "run", "--rm", "--runtime", "berth", "bb:1", "sh", "-c", "exit \(code)")
                #expect(exited.status == Int32(code), "\(exited.stderr)")
            }
            let echoed = try await docker(dockerd, "run", "--rm", "-i", "--runtime", "berth", "bb:1", "cat", input: "typed\nlines\n")
            #expect(echoed.stdout == "typed\nlines\n", "\(echoed.stderr)")
            let descriptors = try await docker(dockerd, "run", "--rm", "--runtime", "berth", "bb:1", "ls", "/proc/self/fd")
            #expect(descriptors.stdout == "0\n1\n2\n3\n", "stdio and ls's own directory, nothing of the runtime's")
            // Privileged gets every capability berth-runtime holds (this host's bounding set lacks
            // some dockerd asks for, which runc refuses).
            let confined = try await docker(dockerd, "run", "--rm", "--runtime", "berth", "bb:1", "unshare", "-n", "true")
            #expect(confined.status != 0)
            let privileged = try await docker(dockerd, "run", "--rm", "--privileged", "--runtime", "berth", "bb:1", "unshare", "-n", "true")
            #expect(privileged.status == 0, "\(privileged.stderr)")
            let missing = try await docker(dockerd, "run", "--rm", "--runtime", "berth", "bb:1", "nosuch")
            #expect(missing.status == 127)
            #expect(missing.stderr.contains("exec: \"nosuch\": executable file not found in $PATH"), "\(missing.stderr)")

            let started = try await docker(dockerd, "run", "-d", "--name", "c1", "--runtime", "berth", "bb:1", "sleep", "1000")
            #expect(started.status == 0, "\(started.stderr)")
            let id = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let exec = try await docker(dockerd, "exec", "c1", "sh", "-c", "echo in \"$(cat /proc/1/cmdline | tr '\\0' ' ')\"; exit 7")
            #expect(exec.status == 7, "\(exec.stderr)")
            #expect(exec.stdout == "in sleep 1000 \n")
            let top = try await docker(dockerd, "top", "c1")
            #expect(top.status == 0, "\(top.stderr)")
            #expect(top.stdout.contains("sleep 1000"))
            // docker update sends every resource, 0 for those not given: only the pids limit changes.
            let updated = try await docker(dockerd, "update", "--pids-limit", "33", "c1")
            #expect(updated.status == 0, "\(updated.stderr)")
            #expect(SmallFile.text("/sys/fs/cgroup/pids/docker/\(id)/pids.max") == "33\n")
            let stats = try await docker(dockerd, "stats", "--no-stream", "--format", "{{.PIDs}}", "c1")
            #expect(stats.stdout == "1\n", "\(stats.stderr)")
            let terminal = try await docker(dockerd, "run", "--rm", "-t", "--runtime", "berth", "bb:1", "sh", "-c", "tty")
            #expect(terminal.stdout == "/dev/pts/0\r\n", "\(terminal.stderr)")
            #expect(try await docker(dockerd, "pause", "c1").status == 0)
            #expect(try await docker(dockerd, "inspect", "-f", "{{.State.Status}}", "c1").stdout == "paused\n")
            #expect(try await docker(dockerd, "unpause", "c1").status == 0)
            #expect(try await docker(dockerd, "inspect", "-f", "{{.State.Status}}", "c1").stdout == "running\n")
            // sleep as PID 1 has no handler for SIGTERM, so the kernel ignores it: stop ends
            // with SIGKILL after the timeout.
            #expect(try await docker(dockerd, "stop", "-t", "1", "c1").status == 0)
            #expect(try await docker(dockerd, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "c1").stdout == "exited 137\n")
            #expect(try await docker(dockerd, "start", "c1").status == 0)
            #expect(try await docker(dockerd, "kill", "c1").status == 0)
            #expect(try await docker(dockerd, "wait", "c1").stdout == "137\n")
            #expect(try await docker(dockerd, "rm", "c1").status == 0)
            // A PID 1 gets a signal from outside only once it handles it: signal after the trap is set.
            let trapping = try await docker(dockerd, "run", "-d", "--runtime", "berth", "bb:1", "sh", "-c",
                                            "trap 'exit 9' USR1; echo ready; while :; do sleep 0.1; done")
            let trapper = trapping.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(await eventually { (try? await docker(dockerd, "logs", trapper).stdout) == "ready\n" })
            #expect(try await docker(dockerd, "kill", "-s", "USR1", trapper).status == 0)
            let status = ["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", trapper]
            #expect(await eventually { (try? await ProcessRunner.run(ProcessRunner.dockerCLI ?? "", status, environment: dockerd.environment).stdout)
                                        == "exited 9\n" }, "the signal reached the container's handler")
            _ = try await docker(dockerd, "rm", "-f", trapper)
            let cgroups = ["pids", "memory", "freezer"].map { "/sys/fs/cgroup/\($0)/docker/\(id)" }
            #expect(cgroups.allSatisfy { !FileManager.default.fileExists(atPath: $0) }, "the container's cgroups went with it")
        }
    }
}
