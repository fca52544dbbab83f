@testable import BerthDaemon
import BerthCore
import BerthLogging
import BerthServer
import BerthTesting
import Foundation
import Testing

@Suite struct OperationsTests {
    @Test func debugRoutesReportKnownTraffic() async throws {
        try await DaemonHarness.with(DaemonHarness.configuration(debug: true)) { harness in
            let client = try await harness.client()
            for _ in 0..<3 { _ = try await client.request("GET", "/_ping") }
            #expect(try await client.request("GET", "/v1.99/_ping").status == 400)
            _ = try await client.request("GET", "/version")
            let events = try await harness.client()
            try await events.send(TestClient.encode("GET", "/events"))
            _ = try await events.readHead()

            let vars = try #require(try await client.request("GET", "/debug/vars").jsonObject)
            #expect((vars["cmdline"] as? [String])?.isEmpty == false)
            #expect((vars["uptime_seconds"] as? Double ?? 0) > 0)
            #expect(((vars["memory"] as? [String: Any])?["rss_bytes"] as? Int ?? 0) > 0)
            let connections = try #require(vars["connections"] as? [String: Any])
            #expect(connections["open"] as? Int == 2)
            #expect((connections["by_listener"] as? [String: Int])?[harness.socketPath] == 2)
            let requests = try #require(vars["requests"] as? [String: Int])
            #expect(requests["2xx"] == 5, "3 pings, /version, and the events stream (counted when its head went out)")
            #expect(requests["4xx"] == 1)
            let jobs = try #require(vars["jobs"] as? [String: [String: Any]])
            #expect(jobs["version"]?["count"] as? Int == 1)
            #expect(jobs["version"]?["errors"] as? Int == 0)

            _ = try await eventually { try await client.request("GET", "/debug/jobs").bodyText.contains("events()") }
            let running = try #require(try JSONSerialization.jsonObject(with: Data(try await client.request("GET", "/debug/jobs").body)) as? [[String: Any]])
            #expect(running.contains { $0["call"] as? String == "events()" })
            #expect(running.allSatisfy { ($0["age_seconds"] as? Double ?? -1) >= 0 })

            let open = try #require(try JSONSerialization.jsonObject(with: Data(try await client.request("GET", "/debug/connections").body)) as? [[String: Any]])
            #expect(open.count == 2)
            #expect(Set(open.compactMap { $0["state"] as? String }) == ["active", "streaming"])
            #expect(open.allSatisfy { ($0["bytes_in"] as? Int ?? 0) > 0 && $0["listener"] as? String == harness.socketPath })

            let index = try await client.request("GET", "/debug/pprof/")
            #expect(index.bodyText.contains("/debug/vars") && index.bodyText.contains("/debug/connections"))
            #expect(try await client.request("GET", "/v1.41/debug/vars").status == 404, "unversioned only")
        }
    }

    @Test func debugRoutesAreAbsentWithoutDebug() async throws {
        try await DaemonHarness.with { harness in
            let client = try await harness.client()
            for path in ["/debug/vars", "/debug/jobs", "/debug/connections", "/debug/pprof/"] {
                let response = try await client.request("GET", path)
                #expect(response.status == 404, "\(path)")
                #expect(response.errorMessage == "page not found")
            }
        }
    }

    @Test func metricsScrapeAfterKnownTraffic() async throws {
        var configuration = DaemonHarness.configuration()
        configuration.metricsAddress = .tcp(host: "127.0.0.1", port: 0)
        try await DaemonHarness.with(configuration) { harness in
            let client = try await harness.client()
            for _ in 0..<5 { _ = try await client.request("GET", "/v1.41/_ping") }
            _ = try await client.request("GET", "/version")
            #expect(try await client.request("GET", "/v1.99/version").status == 400)
            let port = try #require(harness.daemon.metricsPort)
            let scrape = try await TestClient.connect(port: port).request("GET", "/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            var samples: [String: Double] = [:]
            for line in scrape.bodyText.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                #expect(parts.count == 2, "sample line: \(line)")
                samples[String(parts[0])] = Double(parts[1])
            }
            #expect(samples[#"berth_http_requests_total{method="GET",route="/_ping",code="200"}"#] == 5)
            #expect(samples[#"berth_http_requests_total{method="GET",route="/version",code="200"}"#] == 1)
            #expect(samples[#"berth_http_requests_total{method="GET",route="/version",code="400"}"#] == 1)
            #expect(samples["berth_http_request_duration_seconds_count"] == 7)
            #expect(samples[#"berth_http_request_duration_seconds_bucket{le="+Inf"}"#] == 7)
            #expect(samples["berth_connections_open"] == 1)
            #expect(samples[#"berth_jobs_total{name="version",outcome="ok"}"#] == 1)
            #expect(samples["berth_log_lines_dropped_total"] == 0)
            #expect(samples[#"berth_build_info{version="\#(BerthVersion.version)",api_version="1.41",toolchain="\#(BerthVersion.toolchain)"}"#] == 1)
            #expect(scrape.bodyText.contains("# TYPE berth_http_request_duration_seconds histogram"))
        }
    }

    @Test func jsonLogLinesParseAndCarryTheRequestID() async throws {
        let sink = LogSink(fd: -1, level: .debug)
        sink.format = .json
        sink.startCapturing()
        var router = Router()
        router.add(.get, "/fail") { _, _ in throw BerthHTTPFailure() }
        let service = Service(router: router, middleware: [LoggingMiddleware(logger: Logger(sink: sink))])
        try await TestServer.withInMemory(service) { server in
            _ = try await server.connect().request("GET", "/fail")
        }
        let objects = try sink.capturedLines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]) }
        #expect(objects.count == 3, "Calling…, the error, the request line")
        let ids = Set(objects.compactMap { $0["request-id"] })
        #expect(ids.count == 1, "every line of one request carries the same id")
        #expect(objects.allSatisfy { $0["time"]?.hasSuffix("Z") == true && $0["level"] != nil && $0["msg"] != nil })
        #expect(objects.contains { $0["level"] == "error" && $0["msg"]?.contains("returned error: it broke") == true })
        #expect(objects.contains { $0["route"] == "/fail" && $0["status"] == "500" })
    }

    @Test func reloadAppliesReloadableKeysAndIgnoresAnInvalidFile() async throws {
        let base = DaemonHarness.configuration()
        let file = try writeConfigFile(#"{"debug": false, "labels": ["before=1"]}"#)
        let arguments = ["--config-file", file, "-H", base.hosts[0].description, "--pidfile", base.pidfile,
                         "--data-root", base.dataRoot, "--exec-root", base.execRoot]
        let configuration = try ConfigurationLoader.load(arguments: arguments, environment: ["HOME": "/root"], isRoot: true)
        let level = LogSink.shared.level
        defer { LogSink.shared.level = level }
        try await DaemonHarness.with(configuration) { harness in
            let client = try await harness.client()
            #expect(try await client.request("GET", "/info").jsonObject?["Labels"] as? [String] == ["before=1"])
            try #"{"debug": true, "labels": ["after=2"], "api-cors-header": "*"}"#.write(toFile: file, atomically: true, encoding: .utf8)
            #expect(await harness.daemon.reload(environment: ["HOME": "/root"], isRoot: true))
            let info = try #require(try await client.request("GET", "/info").jsonObject)
            #expect(info["Debug"] as? Bool == true)
            #expect(info["Labels"] as? [String] == ["after=2"])
            #expect(try await client.request("GET", "/_ping").header("Access-Control-Allow-Origin") == "*")
            #expect(try await client.request("GET", "/debug/vars").status == 200, "debug routes follow the reload")

            try "{\"debug\": fals".write(toFile: file, atomically: true, encoding: .utf8)
            #expect(await !harness.daemon.reload(environment: ["HOME": "/root"], isRoot: true))
            let unchanged = try #require(try await client.request("GET", "/info").jsonObject)
            #expect(unchanged["Debug"] as? Bool == true)
            #expect(unchanged["Labels"] as? [String] == ["after=2"])

            let until = Timestamp.nowNanoseconds() / 1_000_000_000 + 1
            try await client.send(TestClient.encode("GET", "/events?since=0&until=\(until)&filters=%7B%22type%22%3A%5B%22daemon%22%5D%7D"))
            _ = try await client.readHead()
            let chunk = try #require(try await client.readChunk())
            let event = try #require(try JSONSerialization.jsonObject(with: Data(chunk)) as? [String: Any])
            #expect(event["Type"] as? String == "daemon")
            #expect(event["Action"] as? String == "reload")
            #expect(try await client.readChunk() == nil, "one reload event: the invalid file published none")
        }
    }
}

struct BerthHTTPFailure: Error, CustomStringConvertible {
    var description: String { "it broke" }
}

/// SIGHUP and SIGUSR1 against a real `berthd`.
@Suite(.enabled(if: ChildDaemon.available, "needs the berthd binary"))
struct OperatorSignalTests {
    @Test func sighupReloadsTheConfigurationFile() async throws {
        let file = try writeConfigFile(#"{"labels": ["stage=one"]}"#)
        let daemon = try await ChildDaemon(arguments: ["--config-file", file])
        defer { daemon.stopSoon() }
        #expect(try await daemon.client().request("GET", "/info").jsonObject?["Labels"] as? [String] == ["stage=one"])
        try #"{"labels": ["stage=two"]}"#.write(toFile: file, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        var labels: [String]?
        for _ in 0..<200 {
            labels = try await daemon.client().request("GET", "/info").jsonObject?["Labels"] as? [String]
            if labels == ["stage=two"] { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(labels == ["stage=two"])
        #expect(daemon.log.contains("Got signal to reload configuration, reloading from: \(file)"))
        #expect(daemon.log.contains("Reloaded configuration:"))
    }

    @Test func sigusr1WritesAStateDumpAndTheDaemonKeepsRunning() async throws {
        let daemon = try await ChildDaemon()
        defer { daemon.stopSoon() }
        let idle = try await daemon.client()
        _ = try await idle.request("GET", "/_ping")
        daemon.signal(SIGUSR1)
        let execRoot = daemon.directory + "/exec"
        var dumps: [String] = []
        for _ in 0..<200 {
            dumps = ((try? FileManager.default.contentsOfDirectory(atPath: execRoot)) ?? []).filter { $0.hasPrefix("berthd-state-") }
            if !dumps.isEmpty, daemon.log.contains("daemon state written to") { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        let name = try #require(dumps.first)
        #expect(name.hasSuffix("Z.log"))
        let text = try #require(SmallFile.text(execRoot + "/" + name))
        #expect(text.contains("listeners:"))
        #expect(text.contains(daemon.socketPath))
        #expect(text.contains("connections (1 open"))
        #expect(text.contains("serveapi("))
        #expect(daemon.log.contains("daemon state written to \(execRoot)/\(name)"))
        #expect(try await daemon.client().request("GET", "/_ping").bodyText == "OK", "still answering")
    }
}
