@testable import BerthDaemon
import BerthCore
import BerthTesting
import Foundation
import Testing

/// The stock docker CLI and docker-py against a live berthd (in process, real sockets).
@Suite struct ClientCompatibilityTests {
    @Test(.enabled(if: ProcessRunner.dockerCLI != nil, "the docker CLI is not installed"))
    func dockerCLIVersionInfoAndEvents() async throws {
        let docker = try #require(ProcessRunner.dockerCLI)
        try await DaemonHarness.with(DaemonHarness.configuration(tcp: true, labels: ["site=test"])) { harness in
            let port = try #require(harness.tcpPort)
            for host in ["unix://\(harness.socketPath)", "tcp://127.0.0.1:\(port)"] {
                let env = ["DOCKER_HOST": host, "DOCKER_CONFIG": TestDirectory.root + "/docker-config"]
                let version = try await ProcessRunner.run(docker, ["version"], environment: env)
                #expect(version.status == 0, "\(host): \(version.stderr)")
                #expect(version.stdout.contains("Server: Berth"))
                #expect(version.stdout.contains("1.41 (minimum version 1.24)"))

                let info = try await ProcessRunner.run(docker, ["info"], environment: env)
                #expect(info.status == 0, "\(host): \(info.stderr)")
                #expect(info.stdout.contains("Server Version: \(BerthVersion.version)"))
                #expect(info.stdout.contains("Docker Root Dir: \(harness.daemon.configuration.dataRoot)"))
                #expect(info.stdout.contains("site=test"))
                #expect(info.stdout.contains("Swarm: inactive"))
            }
            let env = ["DOCKER_HOST": "unix://\(harness.socketPath)", "DOCKER_CONFIG": TestDirectory.root + "/docker-config"]
            await harness.daemon.events.publish(type: "container", action: "start", actorID: String(repeating: "d", count: 64),
                                                attributes: ["image": "bb", "name": "d1"])
            // The CLI sends `until` as whole seconds (now, truncated): let the event's second pass.
            let nanos = Timestamp.nowNanoseconds()
            try await Task.sleep(for: .nanoseconds(1_000_000_000 - nanos % 1_000_000_000 + 50_000_000))
            let events = try await ProcessRunner.run(docker, ["events", "--since", "1m", "--until", "0s"], environment: env)
            #expect(events.status == 0, "\(events.stderr)")
            #expect(events.stdout.contains("container start \(String(repeating: "d", count: 64)) (image=bb, name=d1)"))
            let filtered = try await ProcessRunner.run(
                docker, ["events", "--since", "1m", "--until", "0s", "--filter", "type=image"], environment: env)
            #expect(filtered.status == 0)
            #expect(filtered.stdout.isEmpty)
        }
    }

    @Test(.enabled(if: ProcessRunner.hasDockerPy, "docker-py is not installed"))
    func dockerPyPingVersionInfoAndEvents() async throws {
        let python = try #require(ProcessRunner.find("python3"))
        try await DaemonHarness.with(DaemonHarness.configuration(tcp: true)) { harness in
            let port = try #require(harness.tcpPort)
            await harness.daemon.events.publish(type: "container", action: "create", actorID: "abc")
            let script = """
            import sys, time, docker
            for url in sys.argv[1:]:
                c = docker.DockerClient(base_url=url, timeout=300)  # a loaded sanitizer run can stall a minute
                assert c.ping() is True
                v = c.version()
                assert v["ApiVersion"] == "1.41", v
                i = c.info()
                assert i["Swarm"]["LocalNodeState"] == "inactive", i
                evs = list(c.api.events(decode=True, since=0, until=int(time.time()) + 1))
                assert [e["Action"] for e in evs] == ["create"], evs
                print("ok", url, c.api.api_version, i["Name"])
            """
            let run = try await ProcessRunner.run(python, ["-c", script, "unix://\(harness.socketPath)", "tcp://127.0.0.1:\(port)"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("ok ") }.count == 2)
        }
    }
}
