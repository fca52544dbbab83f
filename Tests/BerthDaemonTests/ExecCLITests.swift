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

    @Test func anExecWhoseClientGoesAwayIsStoppedAndSeccompHolds() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "box", "bb", "sleep", "1000")
        // `head` leaves after 1 MB: the CLI goes, and `yes` gets EPIPE at its next write, as
        // under dockerd, instead of writing for nobody.
        let environment = daemon.environment.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let piped = try await ProcessRunner.run("/bin/sh", ["-c", "\(environment) \(daemon.docker) exec box yes | head -c 1000000 | wc -c"])
        #expect(piped.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1000000", "\(piped.stderr)")
        #expect(try await eventually(timeout: .seconds(10)) { try await !daemon.run("top", "box").stdout.contains("yes") },
                "the exec's process is gone")
        // The container's seccomp profile holds in an exec; a privileged exec goes without it.
        let confined = try await daemon.run("exec", "box", "unshare", "-n", "true")
        #expect(confined.status != 0 && confined.stderr.contains("Operation not permitted"), "\(confined.stderr)")
        let privileged = try await daemon.run("exec", "--privileged", "box", "unshare", "-n", "true")
        #expect(privileged.status == 0, "\(privileged.stderr)")
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

    /// overlay2 reads the container's own layer; vfs compares the container's copy with the image's.
    @Test(arguments: ["overlay2", "vfs"])
    func diffExportAndCommitReadTheWritableLayer(driver: String) async throws {
        let daemon = try await ContainerDaemon.start(arguments: ["--storage-driver", driver])
        try await daemon.run("run", "-d", "--name", "changer", "-v", "/scratch", "bb", "sh", "-c",
                             "touch /tmp/new; rm /etc/marker; echo changed > /etc/passwd; mkdir -p /data/deep; echo x > /data/deep/f; sleep 1000")
        #expect(try await eventually { try await daemon.run("exec", "changer", "test", "-f", "/data/deep/f").status == 0 })
        let diff = try await daemon.run("diff", "changer")
        #expect(diff.stdout == "A /data\nA /data/deep\nA /data/deep/f\nC /etc\nD /etc/marker\nC /etc/passwd\nC /tmp\nA /tmp/new\n",
                "the runtime's mount points are not changes: \(diff.stdout) \(diff.stderr)")
        let tar = TestDirectory.path("export") + ".tar"
        let exported = try await daemon.run("export", "-o", tar, "changer")
        #expect(exported.status == 0, "\(exported.stderr)")
        let listing = try await ProcessRunner.run(try #require(ProcessRunner.find("tar")), ["-tf", tar])
        let names = Set(listing.stdout.split(separator: "\n").map(String.init))
        #expect(names.contains("bin/busybox") && names.contains("tmp/new") && names.contains("data/deep/f")
                && !names.contains("etc/marker"), "\(listing.stdout.prefix(400))")
        let committed = try await daemon.run("commit", "-m", "my change", "-c", "CMD [\"cat\", \"/data/deep/f\"]", "changer", "snap:1")
        #expect(committed.status == 0 && committed.stdout.hasPrefix("sha256:"), "\(committed.stderr)")
        #expect(try await daemon.inspect("changer", "{{.State.Status}}") == "running", "unpaused after the commit")
        let ran = try await daemon.run("run", "--rm", "snap:1")
        #expect(ran.stdout == "x\n", "\(ran.stderr)")
        let gone = try await daemon.run("run", "--rm", "snap:1", "sh", "-c", "cat /etc/marker; cat /etc/passwd; ls /tmp/new")
        #expect(gone.stdout == "changed\n/tmp/new\n" && gone.stderr.contains("can't open '/etc/marker'"), "\(gone.stdout) \(gone.stderr)")
        let history = try await daemon.run("history", "--format", "{{.Comment}}", "snap:1")
        #expect(history.stdout.hasPrefix("my change\n"), "\(history.stdout)")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test(.enabled(if: ProcessRunner.hasDockerPy, "docker-py is not installed"))
    func dockerPyExecRun() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "pyexec", "bb", "sleep", "1000")
        let outcome = try await daemon.dockerPy("""
        box = client.containers.get("pyexec")
        code, out = box.exec_run(["sh", "-c", "echo hello; exit 4"])
        assert (code, out) == (4, b"hello\\n"), (code, out)
        print("ok")
        """)
        #expect(outcome.stdout == "ok\n", "\(outcome.stderr)")
        #expect(try await daemon.finish().isEmpty)
    }
}
