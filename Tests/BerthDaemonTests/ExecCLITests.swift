@testable import BerthDaemon
import BerthCore
import BerthTesting
import Foundation
import Testing

/// `docker exec` through the real docker CLI 28 and docker-py against a berthd child process.
@Suite(.enabled(if: ContainerDaemon.usable, "needs root, /bin/busybox, the docker CLI and berthd built next to the tests"))
struct ExecCLITests {
    @Test func execRunsInTheContainerWithItsOwnSettings() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "host", "-e", "FROM_RUN=1", "bb", "sleep", "1000")
        let hi = try await daemon.run("exec", "host", "echo", "hi")
        #expect(hi.status == 0 && hi.stdout == "hi\n", "\(hi.stderr)")
        let both = try await daemon.run("exec", "host", "sh", "-c", "echo out; echo err >&2; exit 5")
        #expect(both.status == 5 && both.stdout == "out\n" && both.stderr == "err\n")
        let settings = try await daemon.run("exec", "-e", "EXTRA=2", "-w", "/tmp", "-u", "nobody", "host", "sh", "-c",
                                            "echo $FROM_RUN $EXTRA; pwd; id -u; cat /proc/1/cmdline | tr '\\0' ' '")
        #expect(settings.stdout == "1 2\n/tmp\n65534\nsleep 1000 ", "the container's namespaces and environment: \(settings.stderr)")
        let input = try await daemon.run("exec", "-i", "host", "cat", input: "piped\n")
        #expect(input.stdout == "piped\n")
        let tty = try await daemon.run("exec", "-t", "host", "tty")
        #expect(tty.stdout.hasPrefix("/dev/pts/"), "\(tty.stdout)")
        let missing = try await daemon.run("exec", "host", "nosuch")
        #expect(missing.status == 127 && missing.stderr.contains(#"exec: "nosuch": executable file not found in $PATH"#),
                "\(missing.status) \(missing.stderr)")
        let detached = try await daemon.run("exec", "-d", "host", "sh", "-c", "echo late > /tmp/detached")
        #expect(detached.status == 0 && detached.stdout.isEmpty)
        #expect(try await eventually { try await daemon.run("exec", "host", "cat", "/tmp/detached").stdout == "late\n" })
        // A background child keeping stdout open does not hold the exec (see ExecSession).
        let background = try await daemon.run("exec", "host", "sh", "-c", "echo before; sleep 100 & echo after")
        #expect(background.status == 0 && background.stdout == "before\nafter\n")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func execNeedsARunningUnpausedContainer() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("create", "--name", "idle", "bb", "sleep", "1000")
        let stopped = try await daemon.run("exec", "idle", "true")
        #expect(stopped.status != 0 && stopped.stderr.contains("is not running"), "\(stopped.stderr)")
        try await daemon.run("start", "idle")
        try await daemon.run("pause", "idle")
        let paused = try await daemon.run("exec", "idle", "true")
        #expect(paused.status != 0 && paused.stderr.contains("is paused, unpause the container before exec"), "\(paused.stderr)")
        try await daemon.run("unpause", "idle")
        let missing = try await daemon.run("exec", "nosuch", "true")
        #expect(missing.stderr.contains("No such container: nosuch"))
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func execEventsNameTheCommand() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "evented", "bb", "sleep", "1000")
        let since = String(Int(Date().timeIntervalSince1970) - 1)
        try await daemon.run("exec", "evented", "sh", "-c", "exit 3")
        let until = String(Int(Date().timeIntervalSince1970) + 1)
        let events = try await daemon.run("events", "--since", since, "--until", until, "--filter", "container=evented",
                                          "--format", "{{.Action}} {{.Actor.Attributes.exitCode}}")
        #expect(events.stdout.hasSuffix("exec_create: sh -c exit 3 <no value>\nexec_start: sh -c exit 3 <no value>\nexec_die 3\n"),
                "\(events.stdout)")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test(.enabled(if: ProcessRunner.hasDockerPy, "docker-py is not installed"))
    func dockerPyExecRun() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "pyexec", "bb", "sleep", "1000")
        let python = try #require(ProcessRunner.find("python3"))
        let script = """
        import sys, docker
        c = docker.DockerClient(base_url=sys.argv[1])
        box = c.containers.get("pyexec")
        code, out = box.exec_run(["sh", "-c", "echo hello; exit 4"])
        assert (code, out) == (4, b"hello\\n"), (code, out)
        print("ok")
        """
        let outcome = try await ProcessRunner.run(python, ["-c", script, "unix://" + daemon.child.socketPath])
        #expect(outcome.stdout == "ok\n", "\(outcome.stderr)")
        #expect(try await daemon.finish().isEmpty)
    }
}
