@testable import BerthDaemon
import BerthCore
import BerthTesting
import Foundation
import Testing

/// Containers through the real docker CLI 28 and docker-py against a berthd child process, with
/// what a user sees checked: output, exit codes, `docker ps` lines, inspect fields.
@Suite(.enabled(if: ContainerDaemon.usable, "needs root, /bin/busybox, the docker CLI and berthd built next to the tests"))
struct ContainersCLITests {
    @Test func runPrintsOutputExitsWithTheCodeAndRemovesWithRm() async throws {
        let daemon = try await ContainerDaemon.start()
        let hi = try await daemon.run("run", "--rm", "bb", "echo", "hi")
        #expect(hi.status == 0 && hi.stdout == "hi\n", "\(hi.stderr)")
        for code in [0, 3, 42] {
            let exited = try await daemon.run("run", "--rm", "bb", "sh", "-c", "exit \(code)")
            #expect(exited.status == Int32(code))
        }
        let both = try await daemon.run("run", "--rm", "bb", "sh", "-c", "echo out; echo err >&2")
        #expect(both.stdout == "out\n" && both.stderr == "err\n")
        let missing = try await daemon.run("run", "--rm", "bb", "nosuch")
        #expect(missing.status == 127)
        #expect(missing.stderr.contains(#"exec: "nosuch": executable file not found in $PATH"#), "\(missing.stderr)")
        let noImage = try await daemon.run("run", "--rm", "nosuchimage", "true")
        #expect(noImage.status == 125 && noImage.stderr.contains("Unable to find image 'nosuchimage:latest' locally"))
        #expect(try await daemon.list().isEmpty, "--rm removed them all, the failed one too")
        let unsupported = try await daemon.run("run", "--rm", "-p", "8080:80", "bb", "true")
        #expect(unsupported.status == 125 && unsupported.stderr.contains("berthd does not support HostConfig.PortBindings"),
                "\(unsupported.stderr)")
        let health = try await daemon.run("run", "--rm", "--health-cmd", "true", "bb", "true")
        #expect(health.status == 125 && health.stderr.contains("berthd does not support Healthcheck"), "\(health.stderr)")
        let link = try await daemon.run("run", "--rm", "--link", "db:db", "bb", "true")
        #expect(link.status == 125 && link.stderr.contains("berthd does not support HostConfig.Links"), "\(link.stderr)")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func detachedContainersListLogStopKillAndRemove() async throws {
        let daemon = try await ContainerDaemon.start()
        let started = try await daemon.run("run", "-d", "--name", "looper", "bb", "sh", "-c",
                                           "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done")
        let id = started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(started.status == 0 && id.count == 64, "\(started.stderr)")
        let ps = try await daemon.run("ps")
        let row = try #require(ps.stdout.split(separator: "\n").dropFirst().first)
        #expect(row.hasPrefix(String(id.prefix(12))) && row.contains(" bb ") && row.contains("\"sh -c 'i=0; while t…\"")
                && row.contains(" Up ") && row.hasSuffix("looper"), "\(ps.stdout)")
        #expect(try await eventually { try await daemon.run("logs", "looper").stdout.hasPrefix("line 0\nline 1\nline 2\n") })
        let tail = try await daemon.run("logs", "--tail", "1", "-t", "looper")
        #expect(tail.stdout.split(separator: "\n").count == 1 && tail.stdout.contains("Z line "), "\(tail.stdout)")

        // `logs -f` ends when the container stops; `stop` waits its timeout for a PID 1 that
        // ignores SIGTERM, then kills it.
        async let followed = daemon.run("logs", "-f", "looper")
        try await Task.sleep(for: .milliseconds(500))
        let stopped = try await daemon.run("stop", "-t", "1", "looper")
        #expect(stopped.status == 0 && stopped.stdout == "looper\n")
        let follow = try await followed
        #expect(follow.status == 0 && follow.stdout.hasPrefix("line 0\nline 1\n"), "\(follow.stderr)")
        #expect(try await daemon.inspect("looper", "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}} {{.State.Pid}}")
                == "exited 137 false 0")
        #expect(try await daemon.list().first?.hasPrefix("looper Exited (137) ") == true)
        let again = try await daemon.run("stop", "looper")
        #expect(again.status == 0, "stopping a stopped container is a 304, which the CLI accepts")

        try await daemon.run("start", "looper")
        let running = try await daemon.run("rm", "looper")
        #expect(running.status == 1 && running.stderr.contains("You cannot remove a running container \(id)"), "\(running.stderr)")
        let killed = try await daemon.run("kill", "looper")
        #expect(killed.status == 0 && killed.stdout == "looper\n")
        #expect(try await daemon.inspect("looper", "{{.State.ExitCode}}") == "137")
        let notRunning = try await daemon.run("kill", "looper")
        #expect(notRunning.stderr.contains("is not running"), "\(notRunning.stderr)")
        try await daemon.run("start", "looper")
        let forced = try await daemon.run("rm", "-f", "looper")
        #expect(forced.status == 0 && forced.stdout == "looper\n")
        #expect(try await daemon.list().isEmpty)
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func createStartWaitInspectAndNameRules() async throws {
        let daemon = try await ContainerDaemon.start()
        let created = try await daemon.run("create", "--name", "c1", "--label", "app=demo", "bb", "sh", "-c", "echo done; exit 7")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try await daemon.inspect("c1", "{{.State.Status}} {{.Name}} {{.Path}} {{json .Args}} {{.Config.Labels.app}}")
                == "created /c1 sh [\"-c\",\"echo done; exit 7\"] demo")
        #expect(try await daemon.list() == ["c1 Created"])
        let conflict = try await daemon.run("create", "--name", "c1", "bb", "true")
        #expect(conflict.stderr.contains("Conflict. The container name \"/c1\" is already in use by container"), "\(conflict.stderr)")
        let invalid = try await daemon.run("create", "--name", "bad name", "bb", "true")
        #expect(invalid.stderr.contains("Invalid container name (bad name)"), "\(invalid.stderr)")
        #expect(try await daemon.run("start", "c1").stdout == "c1\n")
        let waited = try await daemon.run("wait", "c1")
        #expect(waited.stdout == "7\n")
        #expect(try await daemon.inspect("c1", "{{.State.Status}} {{.State.ExitCode}}") == "exited 7")
        let times = try await daemon.inspect("c1", "{{.State.StartedAt}} {{.State.FinishedAt}}").split(separator: " ")
        #expect(times.count == 2 && times.allSatisfy { !$0.hasPrefix("0001") && $0.hasSuffix("Z") })
        #expect(try await daemon.run("logs", "c1").stdout == "done\n")
        let logPath = try await daemon.inspect("c1", "{{.LogPath}}")
        let line = try #require(SmallFile.text(logPath))
        #expect(line.hasPrefix(#"{"log":"done\n","stream":"stdout","time":""#) && line.hasSuffix("Z\"}\n"), "\(line)")
        #expect(try await daemon.run("ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}").stdout == "c1\n")
        #expect(try await daemon.run("ps", "-a", "--filter", "label=app=demo", "-q").stdout.count == 13)
        #expect(try await daemon.run("ps", "-a", "--filter", "exited=3", "-q").stdout.isEmpty)
        let info = try await daemon.run("info", "--format", "{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}}")
        #expect(info.stdout == "1 0 1\n")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func pauseTopRenameRestartAndPrune() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "sleeper", "bb", "sleep", "1000")
        #expect(try await daemon.run("pause", "sleeper").status == 0)
        #expect(try await daemon.list().first?.hasSuffix("(Paused)") == true)
        #expect(try await daemon.run("pause", "sleeper").stderr.contains("Container is already paused"))
        #expect(try await daemon.run("unpause", "sleeper").status == 0)
        let top = try await daemon.run("top", "sleeper")
        #expect(top.stdout.hasPrefix("UID ") && top.stdout.contains("sleep 1000"), "\(top.stdout)")
        #expect(try await daemon.run("rename", "sleeper", "napper").status == 0)
        #expect(try await daemon.list("{{.Names}}") == ["napper"])
        let pid = try await daemon.inspect("napper", "{{.State.Pid}}")
        #expect(try await daemon.run("restart", "-t", "0", "napper").status == 0)
        let restartedPid = try await daemon.inspect("napper", "{{.State.Pid}} {{.State.Status}}")
        #expect(restartedPid.hasSuffix(" running") && !restartedPid.hasPrefix(pid + " "))
        try await daemon.run("run", "--name", "done1", "bb", "true")
        let pruned = try await daemon.run("container", "prune", "-f")
        #expect(pruned.stdout.hasPrefix("Deleted Containers:\n") && pruned.stdout.contains("Total reclaimed space: 0B"))
        #expect(try await daemon.list("{{.Names}}") == ["napper"], "the running one stays")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func configurationReachesTheProcess() async throws {
        let daemon = try await ContainerDaemon.start()
        let configured = try await daemon.run("run", "--rm", "-e", "FOO=bar", "-w", "/work/dir", "--hostname", "box", "--domainname",
                                              "example.org", "-u", "nobody", "bb", "sh", "-c",
                                              "echo $FOO; pwd; hostname; id -u; cat /etc/hostname /proc/sys/kernel/domainname")
        #expect(configured.stdout == "bar\n/work/dir\nbox\n65534\nbox\nexample.org\n", "\(configured.stderr)")
        let pid = try await daemon.run("run", "--rm", "bb", "sh", "-c", "echo $$; ps -o pid,comm; true")
        let rows = pid.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(rows.count == 4 && rows[0] == "1" && rows[2] == "1 sh" && rows[3].hasSuffix(" ps"),
                "the shell is PID 1 of its own namespace, where only it and ps run: \(pid.stdout)")
        let tty = try await daemon.run("run", "--rm", "-t", "bb", "tty")
        #expect(tty.stdout == "/dev/pts/0\r\n")
        let readOnly = try await daemon.run("run", "--rm", "--read-only", "bb", "touch", "/x")
        #expect(readOnly.status == 1 && readOnly.stderr.contains("Read-only file system"))
        let host = TestDirectory.path("bind")
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try "from the host\n".write(toFile: host + "/f", atomically: true, encoding: .utf8)
        let bound = try await daemon.run("run", "--rm", "-v", "\(host):/v", "bb", "sh", "-c", "cat /v/f; echo back > /v/g")
        #expect(bound.stdout == "from the host\n" && SmallFile.text(host + "/g") == "back\n", "\(bound.stderr)")
        let boundReadOnly = try await daemon.run("run", "--rm", "-v", "\(host):/v:ro", "bb", "touch", "/v/h")
        #expect(boundReadOnly.status == 1 && !FileManager.default.fileExists(atPath: host + "/h"))
        let pids = try await daemon.run("run", "--rm", "--pids-limit", "10", "bb", "sh", "-c",
                                        "for i in $(seq 20); do sleep 1 & done; wait")
        #expect(pids.stderr.contains("can't fork"), "\(pids.stderr)")
        // A sanitized berthd's init needs far more than 8 MiB before it execs the command.
        let (limit, bytes) = underAddressSanitizer || underThreadSanitizer ? ("512m", "1500000000") : ("8m", "60000000")
        let oom = try await daemon.run("run", "--name", "oom", "--memory", limit, "--memory-swap", limit, "bb", "sh", "-c",
                                       "head -c \(bytes) /dev/zero | tail")
        #expect(oom.status == 137)
        #expect(try await daemon.inspect("oom", "{{.State.OOMKilled}} {{.State.ExitCode}}") == "true 137")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func networksPrivilegesAndLimits() async throws {
        let daemon = try await ContainerDaemon.start()
        let none = try await daemon.run("run", "--rm", "--network", "none", "bb", "sh", "-c", "ls /sys/class/net")
        #expect(none.stdout == "lo\n", "only loopback: \(none.stdout) \(none.stderr)")
        let isolated = try await daemon.run("run", "--rm", "bb", "ls", "/sys/class/net")
        #expect(isolated.stdout == "lo\n", "the default, as dockerd with --bridge=none")
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, 255)
        let hostName = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        #expect(try await daemon.run("run", "--rm", "--network", "host", "bb", "hostname").stdout == hostName + "\n")
        try await daemon.run("run", "-d", "--name", "netowner", "bb", "sleep", "1000")
        let owner = try await daemon.inspect("netowner", "{{.State.Pid}}")
        let ownerNamespace = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(owner)/ns/net")
        let joined = try await daemon.run("run", "--rm", "--network", "container:netowner", "bb", "readlink", "/proc/self/ns/net")
        #expect(joined.stdout == ownerNamespace + "\n", "\(joined.stderr)")
        let limits = try await daemon.run("run", "--rm", "--ulimit", "nofile=123:456", "--sysctl", "net.ipv4.ip_forward=1", "bb", "sh",
                                          "-c", "ulimit -n; ulimit -Hn; cat /proc/sys/net/ipv4/ip_forward")
        #expect(limits.stdout == "123\n456\n1\n", "\(limits.stderr)")
        let denied = try await daemon.run("run", "--rm", "bb", "mount", "-t", "tmpfs", "none", "/tmp")
        #expect(denied.status != 0)
        let privileged = try await daemon.run("run", "--rm", "--privileged", "bb", "mount", "-t", "tmpfs", "none", "/tmp")
        #expect(privileged.status == 0, "\(privileged.stderr)")
        let capabilities = try await daemon.run("run", "--rm", "--cap-drop", "ALL", "--cap-add", "NET_ADMIN", "bb", "grep", "CapEff",
                                                "/proc/self/status")
        #expect(capabilities.stdout == "CapEff:\t0000000000001000\n")
        let tmpfs = try await daemon.run("run", "--rm", "--tmpfs", "/scratch:size=1m", "bb", "grep", " /scratch ", "/proc/mounts")
        #expect(tmpfs.stdout.contains("size=1024k"), "\(tmpfs.stdout)")
        let badSignal = try await daemon.run("kill", "-s", "NOPE", "netowner")
        #expect(badSignal.stderr.contains("Invalid signal: NOPE"))
        #expect(try await daemon.run("kill", "-s", "9", "netowner").status == 0)
        #expect(try await daemon.inspect("netowner", "{{.State.ExitCode}}") == "137")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func logOptionsRotateAndReadBack() async throws {
        let daemon = try await ContainerDaemon.start()
        let ran = try await daemon.run("run", "--name", "chatty", "--log-opt", "max-size=2k", "--log-opt", "max-file=2", "bb", "sh", "-c",
                                       "i=0; while [ $i -lt 200 ]; do echo message $i; i=$((i+1)); done")
        #expect(ran.status == 0)
        let logPath = try await daemon.inspect("chatty", "{{.LogPath}}")
        #expect(FileManager.default.fileExists(atPath: logPath + ".1") && !FileManager.default.fileExists(atPath: logPath + ".2"))
        #expect(((try? FileManager.default.attributesOfItem(atPath: logPath)[.size] as? Int) ?? 0) <= 2048)
        let logs = try await daemon.run("logs", "chatty").stdout.split(separator: "\n")
        #expect(logs.last == "message 199" && logs.count < 200, "the oldest lines went with the oldest file")
        #expect(try await daemon.run("logs", "--tail", "2", "chatty").stdout == "message 198\nmessage 199\n")
        let future = String(Int(Date().timeIntervalSince1970) + 60)
        #expect(try await daemon.run("logs", "--since", future, "chatty").stdout.isEmpty)
        #expect(try await daemon.run("logs", "--until", "1", "chatty").stdout.isEmpty)
        let none = try await daemon.run("run", "--name", "silent", "--log-driver", "none", "bb", "echo", "unlogged")
        #expect(none.stdout == "unlogged\n")
        #expect(try await daemon.run("logs", "silent").stderr.contains("configured logging driver does not support reading"))
        let unknown = try await daemon.run("run", "--rm", "--log-driver", "syslog", "bb", "true")
        #expect(unknown.stderr.contains("berthd does not support the syslog log driver"))
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func aClientThatDoesNotReadHoldsTheContainerOnlyBoundedAndTheLogKeepsEveryLine() async throws {
        let daemon = try await ContainerDaemon.start()
        // 40,000 numbered lines of 108 bytes: 4.3 MB, more than the client's queue (1 MiB) and
        // the sockets' buffers hold.
        try await daemon.run("create", "--name", "chatty", "bb", "/bin/busybox", "awk", #"BEGIN { for (i = 1; i <= 40000; i++) printf "%06d %0100d\n", i, 0 }"#)
        let client = try await daemon.child.client()
        try await client.send(TestClient.encode("POST", "/v1.41/containers/chatty/attach?stream=1&stdout=1&stderr=1",
                                                headers: [("Connection", "Upgrade"), ("Upgrade", "tcp")]))
        #expect(try await client.readHead().status == 101)
        try await daemon.run("start", "chatty")
        let logPath = try await daemon.inspect("chatty", "{{.LogPath}}")
        func logged() -> Int { (FileManager.default.contents(atPath: logPath) ?? Data()).reduce(0) { $0 + ($1 == 10 ? 1 : 0) } }
        // The client reads nothing: the container writes until the client's queue is full, then waits.
        var last = -1, steady = 0
        for _ in 0..<600 where steady < 20 {
            try await Task.sleep(for: .milliseconds(100))
            let now = logged()
            steady = now == last && now > 0 ? steady + 1 : 0
            last = now
        }
        #expect(last > 9_000 && last < 40_000, "held after about 1 MiB, not before and not never: \(last) lines logged")
        #expect(try await daemon.inspect("chatty", "{{.State.Running}}") == "true")
        // The client goes: nothing waits for it any more, and every line is in the log, in order.
        await client.close()
        #expect(try await daemon.run("wait", "chatty").stdout == "0\n")
        let lines = try await daemon.run("logs", "chatty").stdout.split(separator: "\n")
        #expect(lines.count == 40_000)
        #expect(lines.enumerated().allSatisfy { index, line in line.hasPrefix(String(format: "%06d ", index + 1)) && line.count == 107 },
                "every line once, in order")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func attachedClientsSeeOutputAndDetachWithTheirKeys() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "-i", "--name", "echoer", "bb", "sh", "-c", "while read line; do echo \"got $line\"; done")
        let python = try #require(ProcessRunner.find("python3"))
        // Two clients attach over the raw API; the first types a line and detaches with ctrl-p
        // ctrl-q; both see the answer, and the container keeps running.
        let script = #"""
            import socket, sys
            def attach(stdin):
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
                query = "stream=1&stdout=1&stderr=1" + ("&stdin=1" if stdin else "")
                s.sendall(("POST /containers/echoer/attach?%s HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n" % query).encode())
                head = b""
                while b"\r\n\r\n" not in head: head += s.recv(1)
                assert head.startswith(b"HTTP/1.1 101"), head
                return s
            def frames(s, until):
                data = b""
                s.settimeout(10)
                while until not in data:
                    chunk = s.recv(4096)
                    if not chunk: break
                    data += chunk
                return data
            watcher = attach(False)
            typist = attach(True)
            typist.sendall(b"one\n")
            assert b"got one\n" in frames(typist, b"got one\n")
            typist.sendall(b"\x10\x11two\n")
            typist.settimeout(10)
            rest = b""
            while True:
                chunk = typist.recv(4096)
                if not chunk: break
                rest += chunk
            assert b"two" not in rest, rest
            assert b"got one\n" in frames(watcher, b"got one\n")
            print("ok")
            """#
        let outcome = try await ProcessRunner.run(python, ["-c", script, daemon.child.socketPath])
        #expect(outcome.stdout == "ok\n", "\(outcome.stderr)")
        #expect(try await daemon.inspect("echoer", "{{.State.Running}}") == "true", "detaching leaves it running")
        #expect(try await daemon.run("logs", "echoer").stdout == "got one\n", "what followed the detach keys never reached it")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func stdinReachesTheContainerSmallAndLarge() async throws {
        let daemon = try await ContainerDaemon.start()
        let small = try await daemon.run("run", "--rm", "-i", "bb", "cat", input: "hello\n")
        #expect(small.stdout == "hello\n", "\(small.stderr)")
        // 10 MiB (1 MiB under a sanitizer, whose daemon copies far slower).
        let large = String(repeating: "0123456789abcdef", count: (underAddressSanitizer || underThreadSanitizer ? 1 : 10) << 16)
        let counted = try await daemon.run("run", "--rm", "-i", "bb", "wc", "-c", input: large)
        #expect(counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(large.utf8.count), "\(counted.stderr)")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func noOutputIsLost() async throws {
        let daemon = try await ContainerDaemon.start()
        // A sanitized daemon copies output far slower: 1 MB there, 10 MB otherwise.
        let sanitized = underAddressSanitizer || underThreadSanitizer
        let many = try await daemon.run("run", "--rm", "bb", "sh", "-c", "head -c \(sanitized ? 1_000_000 : 10_000_000) /dev/zero | base64")
        // 10,000,000 bytes are 13,333,336 base64 characters, in lines of 76 (and a last short
        // one); 1,000,000 are 1,333,336 in 17,544 lines.
        let expected = sanitized ? 1_333_336 + 17_544 : 13_333_336 + 175_439
        #expect(many.status == 0 && many.stdout.utf8.count == expected, "\(many.stdout.utf8.count)")
        let last = try await daemon.run("run", "--name", "unterminated", "bb", "printf", "a\nlast")
        #expect(last.stdout == "a\nlast")
        #expect(try await daemon.run("logs", "unterminated").stdout == "a\nlast")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func restartPoliciesAndInit() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "bb", "sh", "-c", "exit 1")
        let restarted = try await eventually(timeout: .seconds(60)) {
            try await daemon.inspect("flaky", "{{.RestartCount}} {{.State.Status}}") == "2 exited"
        }
        let state = try await daemon.inspect("flaky", "{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}")
        #expect(restarted, "\(state)")
        // With --init the stop signal reaches the command, which exits on it (128 + 15).
        try await daemon.run("run", "-d", "--init", "--name", "inited", "bb", "sleep", "1000")
        try await daemon.run("stop", "inited")
        #expect(try await daemon.inspect("inited", "{{.State.ExitCode}}") == "143")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func containersSurviveADaemonRestart() async throws {
        let first = try await ContainerDaemon.start()
        try await first.run("run", "-d", "--name", "always", "--restart", "always", "bb", "sleep", "1000")
        try await first.run("run", "-d", "--name", "unless", "--restart", "unless-stopped", "bb", "sleep", "1000")
        try await first.run("run", "-d", "--name", "stopped", "--restart", "unless-stopped", "bb", "sleep", "1000")
        try await first.run("stop", "-t", "0", "stopped")
        try await first.run("run", "-d", "--name", "plain", "bb", "sleep", "1000")
        try await first.run("create", "--name", "fresh", "bb", "true")
        #expect(try await first.finish(removing: false).isEmpty, "SIGTERM stopped every container and unmounted it")
        let second = try await ContainerDaemon.start(dataRoot: first.dataRoot, importImage: false)
        let states = Set(try await second.list("{{.Names}} {{.State}}"))
        #expect(states == ["always running", "unless running", "stopped exited", "plain exited", "fresh created"], "\(states)")
        #expect(try await second.finish().isEmpty)
    }

    @Test func aKilledDaemonsContainersAreCleanedUpAtTheNextStart() async throws {
        let first = try await ContainerDaemon.start()
        let id = try await first.run("run", "-d", "--name", "orphan", "bb", "sleep", "1000").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = Int32(try await first.inspect("orphan", "{{.State.Pid}}")) ?? 0
        #expect(pid > 0)
        first.child.signal(SIGKILL)
        _ = try await first.child.waitForExit()
        #expect(kill(pid, 0) == 0, "the container outlives the daemon")
        let second = try await ContainerDaemon.start(dataRoot: first.dataRoot, importImage: false)
        #expect(try await second.list().first?.hasPrefix("orphan Exited (137)") == true)
        #expect(await eventually { kill(pid, 0) != 0 })
        #expect(ContainerDaemon.leftovers(dataRoot: first.dataRoot).isEmpty)
        let removed = try await second.run("rm", "orphan")
        #expect(removed.status == 0 && removed.stdout == "orphan\n", "no \"device or resource busy\": \(removed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: first.dataRoot + "/containers/" + id))
        #expect(try await second.finish().isEmpty)
    }

    @Test func fiftyConcurrentRunsLeaveNothingBehind() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "--rm", "bb", "true")
        // The daemon may still be closing the last client's connection: the baseline is the
        // count once it holds still.
        let baseline = try await daemon.child.steadyDescriptorCount()
        let before = daemon.child.descriptorTargets
        let failures = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<50 {
                group.addTask {
                    let run = try await daemon.run("run", "--rm", "bb", "echo", "\(index)")
                    return run.status == 0 && run.stdout == "\(index)\n" ? nil : "\(run.status): \(run.stdout)\(run.stderr)"
                }
            }
            return try await group.reduce(into: []) { if let failure = $1 { $0.append(failure) } }
        }
        #expect(failures.isEmpty, "every run printed its line and exited 0")
        #expect(try await daemon.list().isEmpty)
        let returned = await eventually { daemon.child.openDescriptors == baseline }
        let after = daemon.child.descriptorTargets
        let gone = before.difference(from: after).compactMap { if case .remove(_, let target, _) = $0 { target } else { nil } }
        let new = after.difference(from: before).compactMap { if case .remove(_, let target, _) = $0 { target } else { nil } }
        #expect(returned, "descriptors closed since the baseline: \(gone); opened: \(new)")
        let zombies = (try FileManager.default.contentsOfDirectory(atPath: "/proc")).filter { name in
            guard Int32(name) != nil, let stat = SmallFile.text("/proc/\(name)/stat"), let close = stat.lastIndex(of: ")") else { return false }
            return stat[stat.index(close, offsetBy: 2)] == "Z" && stat.contains(" \(daemon.child.pid) ")
        }
        #expect(zombies.isEmpty, "no zombie children of the daemon")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func imagesInUseAreKept() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "user", "bb", "sleep", "1000")
        let refused = try await daemon.run("rmi", "bb")
        #expect(refused.status == 1 && refused.stderr.contains("conflict: unable to remove repository reference \"bb\" (must force) - container "),
                "\(refused.stderr)")
        let forced = try await daemon.run("rmi", "-f", "bb")
        #expect(forced.status == 0 && forced.stdout == "Untagged: bb:latest\n", "\(forced.stdout)")
        #expect(try await daemon.inspect("user", "{{.State.Running}}") == "true")
        try await daemon.run("restart", "-t", "0", "user")
        #expect(try await daemon.inspect("user", "{{.State.Running}}") == "true", "its image is still there")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func eventsTellTheLifecycle() async throws {
        let daemon = try await ContainerDaemon.start()
        let since = String(Int(Date().timeIntervalSince1970) - 1)
        try await daemon.run("run", "--name", "evented", "bb", "true")
        try await daemon.run("run", "-d", "--name", "other", "bb", "true")
        try await daemon.run("rm", "evented")
        try await daemon.run("wait", "other")
        let until = String(Int(Date().timeIntervalSince1970) + 1)
        let events = try await daemon.run("events", "--since", since, "--until", until, "--filter", "container=evented",
                                          "--format", "{{.Action}} {{.Actor.Attributes.name}}")
        #expect(events.stdout == "create evented\nattach evented\nstart evented\ndie evented\ndestroy evented\n", "\(events.stdout)")
        let die = try await daemon.run("events", "--since", since, "--until", until, "--filter", "event=die",
                                       "--format", "{{.Actor.Attributes.exitCode}}")
        #expect(die.stdout == "0\n0\n", "\(die.stdout)")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func volumesPersistAreCopiedFromTheImageAndAreKeptWhileUsed() async throws {
        let daemon = try await ContainerDaemon.start()
        #expect(try await daemon.run("volume", "create", "--label", "tier=db", "data1").stdout == "data1\n")
        #expect(try await daemon.run("volume", "ls", "--format", "{{.Driver}} {{.Name}}").stdout == "local data1\n")
        #expect(try await daemon.run("info", "--format", "{{.Plugins.Volume}}").stdout == "[local]\n", "the driver docker info names")
        let inspected = try await daemon.run("volume", "inspect", "--format", "{{.Mountpoint}} {{.Labels.tier}}", "data1")
        #expect(inspected.stdout == "\(daemon.dataRoot)/volumes/data1/_data db\n")
        // A new, empty volume gets the image's files where it is mounted; a named volume outlives its containers.
        #expect(try await daemon.run("run", "--rm", "-v", "fresh:/etc", "bb", "ls", "/etc").stdout == "group\nmarker\npasswd\n")
        #expect(try await daemon.run("run", "--rm", "-v", "data1:/data", "bb", "sh", "-c", "echo kept > /data/f").status == 0)
        #expect(try await daemon.run("run", "--rm", "-v", "data1:/data:ro", "bb", "cat", "/data/f").stdout == "kept\n")
        let readOnly = try await daemon.run("run", "--rm", "-v", "data1:/data:ro", "bb", "touch", "/data/g")
        #expect(readOnly.status == 1)
        try await daemon.run("run", "-d", "--name", "holder", "-v", "data1:/data", "-v", "/scratch", "bb", "sleep", "1000")
        let mounts = try await daemon.inspect("holder", "{{range .Mounts}}{{.Type}}:{{.Destination}}:{{.RW}} {{end}}")
        #expect(mounts == "volume:/data:true volume:/scratch:true", "\(mounts)")
        #expect(try await daemon.run("ps", "--filter", "volume=data1", "--format", "{{.Names}}").stdout == "holder\n")
        let inUse = try await daemon.run("volume", "rm", "data1")
        #expect(inUse.status == 1 && inUse.stderr.contains("remove data1: volume is in use - ["), "\(inUse.stderr)")
        let df = try await daemon.run("system", "df", "--format", "{{.Type}} {{.TotalCount}} {{.Active}}")
        #expect(df.stdout.contains("Containers 1 1\n") && df.stdout.contains("Local Volumes 3 2\n"), "\(df.stdout)")
        #expect(try await daemon.run("volume", "ls", "-q").stdout.split(separator: "\n").count == 3, "data1, fresh, the anonymous one")
        try await daemon.run("rm", "-fv", "holder")
        #expect(Set(try await daemon.run("volume", "ls", "-q").stdout.split(separator: "\n")) == ["data1", "fresh"],
                "rm -v removed the anonymous volume")
        let pruned = try await daemon.run("volume", "prune", "-f")
        #expect(pruned.stdout.contains("data1") && pruned.stdout.contains("fresh"), "\(pruned.stdout)")
        #expect(try await daemon.run("volume", "ls", "-q").stdout.isEmpty)
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func statsShowWhatTheContainerUses() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "busy", "--memory", "64m", "bb", "sh", "-c", "while true; do :; done")
        let stats = try await daemon.run("stats", "--no-stream", "--format", "{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}", "busy")
        let fields = stats.stdout.split(separator: " ")
        #expect(fields.count == 6 && fields[0] == "busy" && fields[1].hasSuffix("%") && fields[2].hasSuffix("KiB")
                && fields[4] == "64MiB" && fields[5] == "1\n", "\(stats.stdout) \(stats.stderr)")
        // The busy loop's CPU time shows (on a loaded machine it may get none in a given second).
        let busy = try await eventually {
            let sample = try await daemon.run("stats", "--no-stream", "--format", "{{.CPUPerc}}", "busy").stdout
            return (Double(sample.trimmingCharacters(in: .whitespacesAndNewlines).dropLast()) ?? 0) > 0
        }
        #expect(busy, "a busy loop uses CPU time")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test(.enabled(if: ProcessRunner.hasDockerPy, "docker-py is not installed"))
    func dockerPyRunsListsAndRemoves() async throws {
        let daemon = try await ContainerDaemon.start()
        let outcome = try await daemon.dockerPy("""
        c = client
        out = c.containers.run("bb", ["sh", "-c", "echo hi; echo err >&2"])
        assert out == b"hi\\n", out
        box = c.containers.run("bb", ["sleep", "1000"], detach=True, name="pybox")
        assert [x.name for x in c.containers.list()] == ["pybox"]
        box.reload()
        assert box.status == "running", box.status
        box.kill()
        assert box.wait()["StatusCode"] == 137
        box.remove()
        try:
            c.containers.run("bb", ["sh", "-c", "exit 3"], remove=True)
            raise SystemExit("no ContainerError")
        except docker.errors.ContainerError as e:
            assert e.exit_status == 3
        print("ok")
        """)
        #expect(outcome.stdout == "ok\n", "\(outcome.stderr)")
        #expect(try await daemon.finish().isEmpty)
    }
}
