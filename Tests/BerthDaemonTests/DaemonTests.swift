@testable import BerthDaemon
import BerthCore
import BerthSync
import BerthEngine
import BerthHTTP
import BerthServer
import BerthTesting
import Foundation
import Testing

@Suite struct DaemonTests {
    @Test func clientsThatConnectDuringInitialisationAreAnsweredAfterIt() async throws {
        let initialised = Locked(false)
        let release = ActivationGate()
        try await DaemonHarness.with(initialize: {
            try await release.wait()
            initialised.withLock { $0 = true }
        }) { harness in
            // The socket is bound already: connecting succeeds and the request waits in the backlog.
            let client = try await harness.client()
            try await client.send(TestClient.encode("GET", "/_ping"))
            try await Task.sleep(for: .milliseconds(100))  // time enough for a wrong early answer
            #expect(!initialised.withLock { $0 })
            release.open()
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.bodyText == "OK")
            #expect(initialised.withLock { $0 }, "answered only after initialisation")
        }
    }

    @Test func serveapiArgumentErrors() async throws {
        let daemon = Daemon(configuration: DaemonHarness.configuration(), facts: SystemFacts(), engineID: "X", logger: quietLogger)
        await daemon.registerJobs()
        await #expect(throws: APIError.invalidParameter("usage: serveapi PROTO://ADDR [PROTO://ADDR ...]")) {
            try await daemon.engine.job("serveapi").run()
        }
        await #expect(throws: APIError.invalidParameter("Invalid bind address format: bogus://x")) {
            try await daemon.engine.job("serveapi", ["bogus://x"]).run()
        }
    }

    @Test func bindFailureEndsServeapiWithDockerdsMessage() async throws {
        try await DaemonHarness.with(DaemonHarness.configuration(tcp: true)) { harness in
            let port = try #require(harness.tcpPort)
            let second = Daemon(configuration: DaemonHarness.configuration(), facts: SystemFacts(), engineID: "X", logger: quietLogger)
            await second.registerJobs()
            do {
                try await second.engine.job("serveapi", ["unix:///tmp/berth-unused-\(UUID().uuidString.prefix(6)).sock", "tcp://127.0.0.1:\(port)"]).run()
                Issue.record("serveapi bound a busy port")
            } catch {
                #expect("\(error)" == "failed to load listeners: listen tcp 127.0.0.1:\(port): bind: address already in use")
            }
        }
    }

    @Test func pingAnswersWithDockersFields() async throws {
        try await DaemonHarness.with { harness in
            let client = try await harness.client()
            for target in ["/_ping", "/v1.41/_ping"] {
                let ping = try await client.request("GET", target)
                #expect(ping.bodyText == "OK")
                #expect(ping.header("Api-Version") == "1.41")
                #expect(ping.header("Ostype") == "linux")
                #expect(ping.header("Docker-Experimental") == "false")
                #expect(ping.header("Cache-Control") == "no-cache, no-store, must-revalidate")
                #expect(ping.header("Pragma") == "no-cache")
                #expect(ping.header("Server") == "Berth/\(BerthVersion.version) (linux)")
            }
            let head = try await client.request("HEAD", "/_ping")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "0")
            #expect(head.header("Api-Version") == "1.41")
        }
    }

    @Test func versionReportsThisMachine() async throws {
        try await DaemonHarness.with { harness in
            let version = try #require(try await harness.client().request("GET", "/version").jsonObject)
            #expect(version["ApiVersion"] as? String == "1.41")
            #expect(version["MinAPIVersion"] as? String == "1.24")
            #expect(version["Version"] as? String == BerthVersion.version)
            #expect(version["Os"] as? String == "linux")
            #expect(version["KernelVersion"] as? String == SystemFacts.gather().kernelVersion)
            let components = try #require(version["Components"] as? [[String: Any]])
            #expect(components.first?["Name"] as? String == "Engine")
        }
    }

    @Test func infoReportsThisMachineAndTheConfiguration() async throws {
        let facts = SystemFacts.gather()
        try await DaemonHarness.with(DaemonHarness.configuration(labels: ["zone=a"], debug: true)) { harness in
            let info = try #require(try await harness.client().request("GET", "/v1.41/info").jsonObject)
            #expect(info["Name"] as? String == facts.hostname)
            #expect(info["NCPU"] as? Int == facts.cpus)
            #expect((info["MemTotal"] as? Int ?? 0) > 0)
            #expect(info["KernelVersion"] as? String == facts.kernelVersion)
            #expect(info["OperatingSystem"] as? String == facts.operatingSystem)
            #expect(info["DockerRootDir"] as? String == harness.daemon.configuration.dataRoot)
            #expect(info["Debug"] as? Bool == true)
            #expect(info["Labels"] as? [String] == ["zone=a"])
            #expect(info["Containers"] as? Int == 0)
            #expect(info["Images"] as? Int == 0)
            #expect(info["ID"] as? String == "TEST:ID")
            #expect((info["NFd"] as? Int ?? 0) > 0)
            #expect((info["Swarm"] as? [String: Any])?["LocalNodeState"] as? String == "inactive")
            #expect(info["ServerVersion"] as? String == BerthVersion.version)
        }
    }
}
