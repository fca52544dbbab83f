@testable import BerthDaemon
import BerthTesting
import Foundation
import Testing

/// Resource limits against a real `berthd`: descriptor exhaustion and bounded memory.
@Suite(.enabled(if: ChildDaemon.available, "needs the berthd binary"))
struct HardeningTests {
    private func rss(_ pid: Int32) -> Int {
        guard let status = readText("/proc/\(pid)/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return kib * 1024
    }

    @Test(.disabled(if: underAddressSanitizer || underThreadSanitizer, "a sanitizer's runtime needs descriptors of its own"))
    func descriptorExhaustionDoesNotStopTheDaemon() async throws {
        // 64 descriptors: a few for the daemon itself, the rest for connections.
        let daemon = try await ChildDaemon(launcher: ["/bin/sh", "-c", "ulimit -n 64 && exec \"$0\" \"$@\""])
        defer { daemon.stopSoon() }
        let existing = try await daemon.client()
        #expect(try await existing.request("GET", "/_ping").bodyText == "OK")

        // More clients than the daemon has descriptors for: the kernel queues them; the daemon
        // accepts what it can and backs off on EMFILE.
        var crowd: [TestClient] = []
        for _ in 0..<100 {
            let client = try await daemon.client()
            try await client.send(TestClient.encode("GET", "/_ping"))
            crowd.append(client)
        }
        for _ in 0..<300 where !daemon.log.contains("too many open files") { try await Task.sleep(for: .milliseconds(10)) }
        #expect(daemon.log.contains("too many open files"), "the accept loop met EMFILE")
        #expect(try await existing.request("GET", "/_ping").bodyText == "OK", "existing connections are still served")

        for client in crowd { await client.close() }
        // New clients are served again once descriptors are free (bounded wait).
        var served = false
        for _ in 0..<100 where !served {
            if let client = try? await daemon.client(), (try? await client.request("GET", "/_ping"))?.bodyText == "OK" {
                served = true
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(served, "the listener kept working")
        #expect(fileExists("/proc/\(daemon.pid)"), "the daemon is alive")
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
        let pipe = Pipe()
        let daemon = try await ChildDaemon(arguments: ["--debug"], stderr: pipe.fileHandleForWriting)
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
        withExtendedLifetime(pipe) {}
    }
}
