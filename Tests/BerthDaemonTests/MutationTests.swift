@testable import BerthDaemon
import BerthTesting
import Foundation
import Testing

@Suite struct MutationTests {
    static let seeds: [String] = [
        "GET /_ping HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\n\r\n",
        "HEAD /_ping HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /v1.41/version HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
        "GET /v1.41/info HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
        "GET /v1.41/events?since=0&until=1&filters=%7B%22type%22%3A%5B%22container%22%5D%7D HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /v1.41/containers/create?name=c1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"Image\":\"bb\"}",
        "POST /v1.41/images/load HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "OPTIONS /v1.41/anything HTTP/1.1\r\nHost: x\r\nOrigin: http://a.example\r\n\r\n",
        "GET /_ping HTTP/1.0\r\n\r\n",
        "POST /v1.41/exec/abc/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 2\r\n\r\n{}",
    ]

    static func mutate(_ seed: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = seed
        let interesting: [UInt8] = [0, 9, 10, 13, 32, 34, 37, 43, 44, 45, 47, 58, 59, 63, 92, 127, 128, 255, 0x16]
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { break }
            let i = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0: bytes[i] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes[i] = interesting.randomElement(using: &random)!  // the list is not empty
            case 2: bytes.remove(at: i)
            case 3: bytes.insert(interesting.randomElement(using: &random)!, at: i)  // the list is not empty
            case 4:  // duplicate a run
                let end = min(bytes.count, i + Int.random(in: 1...16, using: &random))
                bytes.insert(contentsOf: bytes[i..<end], at: i)
            case 5: bytes = Array(bytes[..<i])  // truncate
            default:  // a digit run, to disturb lengths and versions
                bytes.insert(contentsOf: Array(String(Int.random(in: 0...99_999_999_999, using: &random)).utf8), at: i)
            }
        }
        return bytes
    }

    /// Status codes of every response head in a byte stream.
    static func statuses(_ bytes: [UInt8]) -> [Int] {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.components(separatedBy: "\n").compactMap { line in
            guard line.hasPrefix("HTTP/1."), line.count >= 12 else { return nil }
            return Int(line.dropFirst(9).prefix(3))
        }
    }

    @Test func mutatedRequestsNeverCrashHangOrAnswer5xx() async throws {
        let daemon = Daemon(configuration: DaemonHarness.configuration(), facts: SystemFacts(), engineID: "X", logger: quietLogger)
        await daemon.registerJobs()
        let seed: UInt64 = 0xB3_27_4D_11
        try await TestServer.withInMemory(daemon.makeService()) { server in
            var random = SeededGenerator(seed: seed)
            var answered = 0
            for index in 0..<3000 {
                let base = Array(Self.seeds[index % Self.seeds.count].utf8)
                let request = Self.mutate(base, &random)
                let client = server.connect()
                try await client.send(request)
                await client.shutdownWrite()
                let reply: [UInt8]? = try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                    group.addTask { try await client.readToEnd() }
                    group.addTask {
                        try await Task.sleep(for: .seconds(30))  // a hang, even on a loaded sanitizer run
                        return nil
                    }
                    defer { group.cancelAll() }
                    return try await group.next() ?? nil
                }
                guard let reply else {
                    Issue.record("case \(index) (seed \(seed)) hung: \(String(decoding: request, as: UTF8.self).debugDescription)")
                    break
                }
                await client.close()
                let codes = Self.statuses(reply)
                if !codes.isEmpty { answered += 1 }
                for code in codes where code >= 500 && code != 501 && code != 505 {
                    Issue.record("case \(index) (seed \(seed)) got \(code): \(String(decoding: request, as: UTF8.self).debugDescription)")
                }
            }
            #expect(answered > 1000, "most mutated requests still get an answer")
            #expect(try await server.connect().request("GET", "/_ping").bodyText == "OK", "alive at the end")
        }
    }
}
