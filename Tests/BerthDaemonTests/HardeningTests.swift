@testable import BerthDaemon
import BerthCore
import BerthRuntime
import BerthTesting
import CBerthRuntime
import Foundation
import Testing

/// Resource limits against a real `berthd`: descriptor exhaustion and bounded memory.
@Suite(.enabled(if: ChildDaemon.available, "needs the berthd binary"))
struct HardeningTests {
    /// The process's CPU time so far, in clock ticks.
    private func cpuTicks(_ pid: Int32) -> Int {
        guard let stat = SmallFile.text("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    /// Waits, at most a minute, until the process uses less than a tenth of a core.
    private func waitUntilQuiet(_ pid: Int32) async throws {
        var last = cpuTicks(pid)
        for _ in 0..<300 {
            try await Task.sleep(for: .milliseconds(200))
            let now = cpuTicks(pid)
            if now - last <= 2 { return }
            last = now
        }
        Issue.record("the daemon never became quiet")
    }

    /// Context switches of each thread of the process so far, by thread id.
    private func contextSwitches(_ pid: Int32) -> [Int: Int] {
        var switches: [Int: Int] = [:]
        for thread in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? [] {
            guard let id = Int(thread), let status = SmallFile.text("/proc/\(pid)/task/\(thread)/status") else { continue }
            switches[id] = status.split(separator: "\n").filter { $0.hasSuffix("ctxt_switches") || $0.contains("ctxt_switches:") }
                .compactMap { Int($0.split(separator: ":").last?.trimmingWhitespace ?? "") }.reduce(0, +)
        }
        return switches
    }

    private func rss(_ pid: Int32) -> Int {
        guard let status = SmallFile.text("/proc/\(pid)/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return kib * 1024
    }

    @Test(.disabled(if: underAddressSanitizer || underThreadSanitizer, "a sanitizer's runtime needs descriptors of its own"))
    func outOfDescriptorsTheDaemonShedsIdleKeepAlivesAndServesEveryone() async throws {
        // 64 descriptors: a few for the daemon itself, the rest for connections.
        let daemon = try await ChildDaemon(launcher: ["/bin/sh", "-c", "ulimit -n 64 && exec \"$0\" \"$@\""])
        defer { daemon.stopSoon() }
        let oldest = try await daemon.client()
        #expect(try await oldest.request("GET", "/_ping").bodyText == "OK")

        // More clients than the daemon has descriptors for, each with a request: the daemon closes
        // the longest-idle keep-alive connections (the oldest first) to accept the newest.
        var crowd: [TestClient] = []
        for _ in 0..<100 {
            let client = try await daemon.client()
            try await client.send(TestClient.encode("GET", "/_ping"))
            crowd.append(client)
        }
        var answered = 0
        var failures: [String] = []
        for (i, client) in crowd.enumerated() {
            do { if try await client.readResponse().bodyText == "OK" { answered += 1 } } catch { failures.append("\(i): \(error)") }
        }
        #expect(answered == 100, "every client of the crowd was served (\(answered)): \(failures)")
        #expect(daemon.log.contains("idle connections (0 had never sent a byte) to accept new ones"), "the daemon shed keep-alive connections")
        #expect(await oldest.isClosedByServer(), "the longest-idle keep-alive connection was closed")
        #expect(fileExists("/proc/\(daemon.pid)"), "the daemon is alive")
    }

    @Test(.disabled(if: underAddressSanitizer || underThreadSanitizer, "a sanitizer's runtime needs descriptors of its own"))
    func reachedByConnectionsThatNeverSendAByteANewClientIsServedWithinASecond() async throws {
        // The daemon's limit is this machine's hard limit, at most 20,000; two helper processes
        // hold that many connections that never send a byte (each process has a limit of its own).
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let descriptors = Int(min(limit.rlim_max, 20_000))
        let daemon = try await ChildDaemon(launcher: ["/bin/sh", "-c", "ulimit -n \(descriptors) && exec \"$0\" \"$@\""])
        defer { daemon.stopSoon() }
        let bench = try #require(BuiltExecutable.path("berth-bench"), "berth-bench is built next to the tests")

        // Before the flood: a keep-alive connection that has made a request, and an events stream.
        let keptAlive = try await daemon.client()
        #expect(try await keptAlive.request("GET", "/_ping").status == 200)
        let events = try await daemon.client()
        try await events.send(TestClient.encode("GET", "/v1.41/events"))
        #expect(try await events.readHead().status == 200)

        /// A helper holding `count` connections until its standard input ends, and the write end
        /// of that input.
        func hold(_ count: Int) async throws -> (process: ProcessHandle, input: Int32) {
            var ends: [Int32] = [-1, -1]
            try #require(berth_pipe_cloexec(&ends) == 0)
            let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
            defer {
                close(ends[0])
                close(null)
            }
            let helper = try await ProcessRunner.start(bench, ["--unix", daemon.socketPath, "--hold", String(count)],
                                                       stdin: ends[0], stdout: null, stderr: STDERR_FILENO)
            return (helper, ends[1])
        }
        /// How many connections a helper holds.
        func holding(_ helper: (process: ProcessHandle, input: Int32)) -> Int {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(helper.process.pid)/fd"))?.count ?? 0) - 3
        }
        var helpers = [try await hold(descriptors / 2), try await hold(descriptors / 2)]
        defer {
            for helper in helpers {
                try? helper.process.signal(SIGKILL)
                close(helper.input)
            }
        }
        for _ in 0..<1200 where helpers.contains(where: { holding($0) < descriptors / 2 }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(helpers.allSatisfy { holding($0) >= descriptors / 2 }, "the helpers opened their connections")
        #expect(daemon.log.contains("had never sent a byte) to accept new ones"), "the daemon reached its limit")
        // The daemon has taken in what it was sent (its CPU time stops growing). Shedding left it
        // some slack: a few hundred more silent connections take it to its limit again.
        try await waitUntilQuiet(daemon.pid)
        helpers.append(try await hold(256))
        for _ in 0..<200 where holding(helpers[2]) < 256 {
            try await Task.sleep(for: .milliseconds(10))
        }

        let asked = ContinuousClock.now
        let client = try await daemon.client()
        let ping = try await client.request("GET", "/_ping")
        let waited = ContinuousClock.now - asked
        #expect(ping.status == 200)
        #expect(waited < .seconds(1), "a new client waited \(waited)")

        // What was shed was connections that never sent a byte: the keep-alive connection and
        // the stream are still there.
        #expect(try await keptAlive.request("GET", "/_ping").status == 200)
        daemon.signal(SIGHUP)  // publishes a "daemon reload" event
        let event = try #require(try await events.readChunk())
        #expect(String(decoding: event, as: UTF8.self).contains("\"reload\""))
        // Warnings come at most once a second.
        let warnings = daemon.log.split(separator: "\n").filter { $0.contains("to accept new ones") }.count
        let running = ContinuousClock.now - daemon.started
        #expect(Double(warnings) <= running.seconds + 1, "\(warnings) warnings in \(running)")
    }

    /// With no client, the daemon sleeps: the server's sweeper waits for a connection (a second at
    /// most) instead of waking every 25 ms, which cost about 440 context switches in two seconds;
    /// now about 22.
    @Test(.disabled(if: underAddressSanitizer || underThreadSanitizer, "a sanitizer's runtime wakes threads of its own"))
    func anIdleDaemonSleeps() async throws {
        let daemon = try await ChildDaemon()
        defer { daemon.stopSoon() }
        let client = try await daemon.client()
        #expect(try await client.request("GET", "/_ping").bodyText == "OK")
        await client.close()
        _ = try await daemon.steadyDescriptorCount()
        try await waitUntilQuiet(daemon.pid)
        let before = contextSwitches(daemon.pid)
        try await Task.sleep(for: .seconds(2))
        let after = contextSwitches(daemon.pid)
        let woke = after.reduce(0) { $0 + $1.value - (before[$1.key] ?? 0) }
        #expect(woke < 80, "\(woke) context switches in 2 s with no client")
        #expect(try await daemon.client().request("GET", "/_ping").bodyText == "OK", "and the next client is served")
    }

    @Test(.disabled(if: underAddressSanitizer, "AddressSanitizer quarantines freed memory: RSS bounds measure it"))
    func anUnreadHundredMegabyteBodyCostsLittleMemory() async throws {
        let daemon = try await ChildDaemon()
        defer { daemon.stopSoon() }
        _ = try await daemon.client().request("GET", "/_ping")
        let before = rss(daemon.pid)
        let client = try await daemon.client()
        try await client.send("POST /v1.41/_ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = Array("100000\r\n".utf8) + [UInt8](repeating: 0x61, count: 0x100000) + Array("\r\n".utf8)
        var sent = 0
        for _ in 0..<100 {  // 100 MiB in 1 MiB chunks, until the daemon closes
            do {
                try await client.send(chunk)
                sent += 1
            } catch {
                break
            }
        }
        let after = rss(daemon.pid)
        #expect(sent < 100, "the daemon closed the connection instead of reading the whole body")
        #expect(after - before < 8 << 20, "RSS grew by \((after - before) >> 10) KiB")
        #expect(try await daemon.client().request("GET", "/_ping").bodyText == "OK")
    }

    @Test(.disabled(if: underAddressSanitizer, "AddressSanitizer quarantines freed memory: RSS bounds measure it"))
    func oversizedHeadsAreRefusedWithBoundedMemory() async throws {
        let daemon = try await ChildDaemon()
        defer { daemon.stopSoon() }
        _ = try await daemon.client().request("GET", "/_ping")
        let before = rss(daemon.pid)
        let header = Array("X-Big: ".utf8) + [UInt8](repeating: 0x62, count: 1 << 20) + Array("\r\n".utf8)
        var refused = 0
        for _ in 0..<8 {  // 256 heads, 32 at a time
            refused += try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        let client = try await daemon.client()
                        try await client.send("GET /_ping HTTP/1.1\r\nHost: x\r\n")
                        try? await client.send(header)
                        let status = (try? await client.readResponse())?.status
                        await client.close()
                        return status == 431 ? 1 : 0
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        let after = rss(daemon.pid)
        #expect(refused > 200, "oversized heads get 431")
        #expect(after - before < 64 << 20, "RSS grew by \((after - before) >> 10) KiB")
        #expect(try await daemon.client().request("GET", "/_ping").bodyText == "OK")
    }

    @Test func aStandardErrorNobodyReadsNeverStallsRequests() async throws {
        // Debug level logs two lines per request into a pipe that is never read: the pipe fills
        // after a few hundred requests, then the log's buffer, then lines are dropped.
        var pipe: [Int32] = [-1, -1]
        try #require(berth_pipe_cloexec(&pipe) == 0)
        defer {
            close(pipe[0])
            close(pipe[1])
        }
        let daemon = try await ChildDaemon(arguments: ["--debug"], stderr: pipe[1])
        defer { daemon.stopSoon() }
        let client = try await daemon.client()
        var answered = 0
        for _ in 0..<3000 where try await client.request("GET", "/_ping").status == 200 { answered += 1 }
        #expect(answered == 3000, "every request answered while standard error is stuck")
        let vars = try #require(try await client.request("GET", "/debug/vars").jsonObject)
        let dropped = try #require(vars["log_lines_dropped"] as? Int)
        #expect(dropped > 1000, "lines that did not fit were dropped and counted (\(dropped))")
        // Exit does not wait for the stuck descriptor beyond its flush timeout.
        daemon.signal(SIGTERM)
        #expect(try await daemon.waitForExit(limit: .seconds(20)) == 0)
    }

    @Test(.enabled(if: TestImage.available && ProcessRunner.dockerCLI != nil, "needs busybox-static, tar and the docker CLI"))
    func killedInTheMiddleOfALoadTheStoreOpensCleanly() async throws {
        let docker = try #require(ProcessRunner.dockerCLI)
        let dataRoot = TestDirectory.path("kill")
        defer { try? FileManager.default.removeItem(atPath: dataRoot) }
        let first = try await ChildDaemon(dataRoot: dataRoot)
        defer { first.stopSoon() }
        let env = ["DOCKER_HOST": "unix://\(first.socketPath)", "DOCKER_CONFIG": TestDirectory.root + "/docker-config"]
        // An archive with a 32 MiB layer, made by the daemon itself, then removed from it.
        let rootfs = first.directory + "/big"
        try FileManager.default.createDirectory(atPath: rootfs, withIntermediateDirectories: true)
        try Data(count: 32 << 20).write(to: URL(fileURLWithPath: rootfs + "/blob"))
        let tar = first.directory + "/big.tar"
        #expect(try await ProcessRunner.run(try #require(ProcessRunner.find("tar")), ["-C", rootfs, "-cf", tar, "."]).status == 0)
        #expect(try await ProcessRunner.run(docker, ["import", tar, "big:1"], environment: env).status == 0)
        let archive = first.directory + "/big-save.tar"
        #expect(try await ProcessRunner.run(docker, ["save", "-o", archive, "big:1"], environment: env).status == 0)
        #expect(try await ProcessRunner.run(docker, ["rmi", "big:1"], environment: env).status == 0)

        // Send most of the archive, then kill the daemon while it is staging it.
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: archive)))
        let client = try await first.client()
        try await client.send("POST /v1.41/images/load?quiet=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\n"
                              + "Content-Length: \(bytes.count)\r\n\r\n")
        try await client.send(Array(bytes[..<(bytes.count * 3 / 4)]))
        let staging = dataRoot + "/tmp"
        _ = await eventually { !((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).isEmpty }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).count == 1, "a load was under way")
        first.signal(SIGKILL)
        #expect(try await first.waitForExit() != nil)

        let second = try await ChildDaemon(dataRoot: dataRoot)
        defer { second.stopSoon() }
        let env2 = ["DOCKER_HOST": "unix://\(second.socketPath)", "DOCKER_CONFIG": TestDirectory.root + "/docker-config"]
        #expect(try await ProcessRunner.run(docker, ["images", "-q"], environment: env2).stdout.isEmpty, "no half image")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).isEmpty, "the staged archive is gone")
        let loaded = try await ProcessRunner.run(docker, ["load", "-i", archive], environment: env2)
        #expect(loaded.stdout == "Loaded image: big:1\n", "\(loaded.stderr)")
    }
}
