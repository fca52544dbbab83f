@testable import BerthDaemon
import BerthTesting
import Foundation
import Testing

/// The Docker conventions the daemon configures its server with: version answers, the 404 body
/// and the CORS lists, exactly as dockerd 20.10 sends them.
@Suite struct DockerAPITests {
    private func withService(cors: String = "", _ body: @escaping @Sendable (InMemoryServer) async throws -> Void) async throws {
        var configuration = DaemonHarness.configuration()
        configuration.apiCorsHeader = cors
        let daemon = Daemon(configuration: configuration, facts: SystemFacts(), engineID: "X", logger: quietLogger)
        await daemon.registerJobs()
        try await TestServer.withInMemory(daemon.makeService(), body)
        await daemon.engine.shutdown(timeout: .zero)
    }

    @Test func versionsOutOfRangeAreAnsweredAsDockerdDoes() async throws {
        try await withService { server in
            let client = server.connect()
            let tooNew = try await client.request("GET", "/v1.42/_ping")
            #expect(tooNew.status == 400)
            #expect(tooNew.errorMessage == "client version 1.42 is too new. Maximum supported API version is 1.41")
            #expect(tooNew.header("Api-Version") == "1.41")
            #expect(tooNew.header("Ostype") == "linux")
            #expect(tooNew.header("Docker-Experimental") == nil)
            let tooOld = try await client.request("GET", "/v1.11/_ping")
            #expect(tooOld.status == 400)
            #expect(tooOld.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(tooOld.header("X-Content-Type-Options") == "nosniff")
            #expect(tooOld.header("Docker-Experimental") == nil)
            #expect(tooOld.bodyText == "client version 1.11 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version\n")
        }
    }

    @Test func unknownRoutesGetDockersBare404() async throws {
        try await withService(cors: "*") { server in
            let client = server.connect()
            for (method, path) in [("GET", "/nosuch"), ("POST", "/_ping"), ("GET", "/v1.41/debug/vars")] {
                let response = try await client.request(method, path)
                #expect(response.status == 404, "\(method) \(path)")
                #expect(response.bodyText == "{\"message\":\"page not found\"}\n")
                #expect(response.header("Content-Type") == "application/json")
                #expect(response.header("Api-Version") == nil, "no middleware ran")
                #expect(response.header("Access-Control-Allow-Origin") == nil)
            }
        }
    }

    @Test func corsFieldsAreDockers() async throws {
        try await withService(cors: "http://a.example") { server in
            let response = try await server.connect().request("GET", "/_ping")
            #expect(response.header("Access-Control-Allow-Origin") == "http://a.example")
            #expect(response.header("Access-Control-Allow-Headers") == "Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth")
            #expect(response.header("Access-Control-Allow-Methods") == "HEAD, GET, POST, DELETE, PUT, OPTIONS")
        }
    }
}
