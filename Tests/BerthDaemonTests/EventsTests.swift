@testable import BerthDaemon
import BerthCore
import BerthTesting
import Foundation
import Testing

/// Runs `body` against a daemon's HTTP service in memory (jobs registered, no listeners).
private func withService<R: Sendable>(_ body: @escaping @Sendable (Daemon, InMemoryServer) async throws -> R) async throws -> R {
    let daemon = Daemon(configuration: DaemonHarness.configuration(), facts: SystemFacts(), engineID: "X", logger: quietLogger)
    await daemon.registerJobs()
    return try await TestServer.withInMemory(daemon.makeService()) { server in try await body(daemon, server) }
}

private func decodeEvents(_ chunks: [[UInt8]]) throws -> [[String: Any]] {
    try chunks.map { try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]) }
}

/// Reads a whole events stream: every chunk until the terminating one.
private func readStream(_ client: TestClient, _ target: String) async throws -> (status: Int, chunks: [[UInt8]]) {
    try await client.send(TestClient.encode("GET", target))
    let head = try await client.readHead()
    guard head.status == 200 else { return (head.status, []) }
    #expect(head.header("Content-Type") == "application/json")
    #expect(head.header("Transfer-Encoding") == "chunked")
    var chunks: [[UInt8]] = []
    while let chunk = try await client.readChunk() { chunks.append(chunk) }
    return (200, chunks)
}

private func publishSamples(_ bus: EventBus) async {
    await bus.publish(type: "container", action: "create", actorID: String(repeating: "a", count: 64),
                      attributes: ["image": "bb", "name": "c1", "tier": "web"])
    await bus.publish(type: "container", action: "start", actorID: String(repeating: "a", count: 64),
                      attributes: ["image": "bb", "name": "c1", "tier": "web"])
    await bus.publish(type: "image", action: "tag", actorID: "sha256:" + String(repeating: "b", count: 64), attributes: ["name": "bb:1"])
    await bus.publish(type: "container", action: "exec_create: sh -c true", actorID: String(repeating: "c", count: 64),
                      attributes: ["image": "alpine", "name": "c2", "execID": "e1"])
}

@Suite struct EventsTests {
    @Test func replaysBetweenSinceAndUntilThenEnds() async throws {
        try await withService { daemon, server in
            await publishSamples(daemon.events)
            let until = Timestamp.nowNanoseconds() / 1_000_000_000 + 1
            let (status, chunks) = try await readStream(server.connect(), "/v1.41/events?since=0&until=\(until)")
            #expect(status == 200)
            let events = try decodeEvents(chunks)
            #expect(events.map { $0["Action"] as? String } == ["create", "start", "tag", "exec_create: sh -c true"])
            let first = events[0]
            #expect(first["Type"] as? String == "container")
            #expect((first["Actor"] as? [String: Any])?["ID"] as? String == String(repeating: "a", count: 64))
            #expect(((first["Actor"] as? [String: Any])?["Attributes"] as? [String: String])?["name"] == "c1")
            #expect(first["scope"] as? String == "local")
            #expect(first["status"] as? String == "create")
            #expect(first["id"] as? String == String(repeating: "a", count: 64))
            #expect(first["from"] as? String == "bb")
            let nano = try #require(first["timeNano"] as? Int)
            #expect(first["time"] as? Int == nano / 1_000_000_000)
            #expect(events[2]["from"] == nil, "image events have no from")
            #expect(chunks.allSatisfy { $0.last == 10 }, "one JSON object and a newline per chunk")
        }
    }

    @Test func filtersInBothJSONForms() async throws {
        try await withService { daemon, server in
            await publishSamples(daemon.events)
            let until = Timestamp.nowNanoseconds() / 1_000_000_000 + 1
            func actions(_ filters: String) async throws -> [String] {
                let encoded = filters.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!  // ASCII input always encodes
                let (status, chunks) = try await readStream(server.connect(), "/events?since=0&until=\(until)&filters=\(encoded)")
                #expect(status == 200)
                return try decodeEvents(chunks).compactMap { $0["Action"] as? String }
            }
            let got1 = try await actions(#"{"event":{"start":true},"type":{"container":true}}"#)
            #expect(got1 == ["start"])
            let got2 = try await actions(#"{"type":["image"]}"#)
            #expect(got2 == ["tag"])
            let got3 = try await actions(#"{"container":{"c2":true}}"#)
            #expect(got3 == ["exec_create: sh -c true"])
            let got4 = try await actions(#"{"container":["aaaa"]}"#)
            #expect(got4 == ["create", "start"], "an ID prefix matches")
            let got5 = try await actions(#"{"event":["exec_create"]}"#)
            #expect(got5 == ["exec_create: sh -c true"])
            let got6 = try await actions(#"{"image":{"bb":true}}"#)
            #expect(got6 == ["create", "start"])
            let got7 = try await actions(#"{"label":["tier=web"]}"#)
            #expect(got7 == ["create", "start"])
            let got8 = try await actions(#"{"label":["tier=db"]}"#)
            #expect(got8 == [])
        }
    }

    @Test func badQueryValuesAre400BeforeTheStream() async throws {
        try await withService { _, server in
            let client = server.connect()
            let bogus = try await client.request("GET", "/events?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D")
            #expect(bogus.status == 400)
            #expect(bogus.errorMessage == "Invalid filter 'bogus'")
            #expect(try await client.request("GET", "/events?filters=nope").status == 400)
            let since = try await client.request("GET", "/events?since=yesterday")
            #expect(since.status == 400)
            #expect(since.errorMessage == "failed to parse value as time or duration: \"yesterday\"")
        }
    }

    @Test func liveEventsArriveAsTheyArePublished() async throws {
        try await withService { daemon, server in
            let client = server.connect()
            try await client.send(TestClient.encode("GET", "/events"))
            let head = try await client.readHead()
            #expect(head.status == 200, "headers are flushed before any event exists")
            #expect(await eventually { await daemon.events.listenerCount > 0 })
            await daemon.events.publish(type: "container", action: "die", actorID: "x", attributes: ["exitCode": "0"])
            let chunk = try #require(try await client.readChunk())
            let event = try #require(try JSONSerialization.jsonObject(with: Data(chunk)) as? [String: Any])
            #expect(event["Action"] as? String == "die")
            #expect(((event["Actor"] as? [String: Any])?["Attributes"] as? [String: String])?["exitCode"] == "0")
        }
    }

    @Test func aFutureUntilEndsTheStreamWhenItComes() async throws {
        try await withService { daemon, server in
            let client = server.connect()
            let until = Double(Timestamp.nowNanoseconds()) / 1e9 + 0.5
            try await client.send(TestClient.encode("GET", "/events?until=\(until)"))
            #expect(try await client.readHead().status == 200)
            #expect(try await client.readChunk() == nil, "the terminating chunk comes when until is reached")
            #expect(Double(Timestamp.nowNanoseconds()) / 1e9 >= until, "not before")
            #expect(await eventually { await daemon.events.listenerCount == 0 })
        }
    }

    @Test func clientHangUpEndsTheEventsJob() async throws {
        try await DaemonHarness.with { harness in
            let client = try await harness.client()
            try await client.send(TestClient.encode("GET", "/v1.41/events"))
            #expect(try await client.readHead().status == 200)
            #expect(await eventually { await harness.daemon.events.listenerCount > 0 })
            #expect(await harness.daemon.events.listenerCount == 1)
            #expect(await harness.daemon.engine.runningJobs.map(\.call).contains("events()"))
            await client.close()
            // Bounded wait for the server to notice; it does within milliseconds.
            func stillRunning() async -> Bool {
                let listening = await harness.daemon.events.listenerCount > 0
                let running = await harness.daemon.engine.runningJobs.map(\.call).contains("events()")
                return listening || running
            }
            _ = await eventually { await !stillRunning() }
            #expect(await harness.daemon.events.listenerCount == 0)
            #expect(await !harness.daemon.engine.runningJobs.map(\.call).contains("events()"))
        }
    }

    @Test func replayKeepsTheLast256Events() async throws {
        try await withService { daemon, server in
            for i in 0..<300 { await daemon.events.publish(type: "container", action: "n\(i)", actorID: "x") }
            let until = Timestamp.nowNanoseconds() / 1_000_000_000 + 1
            let (_, chunks) = try await readStream(server.connect(), "/events?since=0&until=\(until)")
            let actions = try decodeEvents(chunks).compactMap { $0["Action"] as? String }
            #expect(actions.count == 256)
            #expect(actions.first == "n44")
            #expect(actions.last == "n299")
        }
    }

    @Test func withoutSinceOnlyNewEventsAreSent() async throws {
        try await withService { daemon, server in
            await daemon.events.publish(type: "container", action: "before", actorID: "x")
            let until = Timestamp.nowNanoseconds() / 1_000_000_000 + 1
            let (_, chunks) = try await readStream(server.connect(), "/events?until=\(until)")
            #expect(chunks.isEmpty, "no replay without since")
        }
    }

    @Test func sinceExcludesOlderEvents() async throws {
        try await withService { daemon, server in
            await daemon.events.publish(type: "container", action: "old", actorID: "x")
            try await Task.sleep(for: .milliseconds(20))
            let cut = Double(Timestamp.nowNanoseconds()) / 1e9
            await daemon.events.publish(type: "container", action: "new", actorID: "x")
            let (_, chunks) = try await readStream(server.connect(), "/events?since=\(String(format: "%.6f", cut))&until=\(Int(cut) + 2)")
            #expect(try decodeEvents(chunks).compactMap { $0["Action"] as? String } == ["new"])
        }
    }
}
