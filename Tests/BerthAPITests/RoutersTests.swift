import BerthAPI
import BerthCore
import BerthServer
import BerthSync
import BerthTesting
import Foundation
import Testing

/// A system backend that knows nothing about a daemon: the router works against any backend.
private struct FixedSystem: SystemBackend {
    let published: [Event]

    func version() async throws -> VersionInfo {
        var version = VersionInfo()
        version.Version = "9.9.9"
        return version
    }

    func info() async throws -> SystemInfo {
        throw APIError.unavailable("not today")
    }

    func diskUsage() async throws -> DiskUsage { DiskUsage() }

    func events(since: Int64?, until: Int64?, filter: EventFilter,
                _ receive: @escaping @Sendable (Event) async throws -> Void) async throws {
        for event in published where filter.matches(event) { try await receive(event) }
    }
}

/// A route that takes a JSON body, to check the body rules every such route follows.
private struct EchoName: Codable { var Name: String }

@Suite struct RoutersTests {
    private func service(_ backend: some SystemBackend, extra: (inout Router) -> Void = { _ in }) -> Service {
        var router = Router()
        SystemRouter(backend: backend).register(on: &router)
        extra(&router)
        return Service(router: router, middleware: [APIVersionMiddleware(DockerAPI.versionPolicy(server: "test"))],
                       notFound: DockerAPI.notFound)
    }

    @Test func systemRoutesAnswerFromTheirBackend() async throws {
        let events = [Event(type: "image", action: "tag", actor: .init(ID: "sha256:1"), timeNano: 1),
                      Event(type: "container", action: "start", actor: .init(ID: "c1"), timeNano: 2)]
        try await TestServer.withInMemory(service(FixedSystem(published: events))) { server in
            let client = server.connect()
            #expect(try await client.request("GET", "/_ping").bodyText == "OK")
            let version = try #require(try await client.request("GET", "/v1.41/version").jsonObject)
            #expect(version["Version"] as? String == "9.9.9")
            #expect(version["ApiVersion"] as? String == "1.41")
            let info = try await client.request("GET", "/info")
            #expect(info.status == 503)
            #expect(info.errorMessage == "not today")
            try await client.send(TestClient.encode("GET", "/events?filters=%7B%22type%22%3A%5B%22image%22%5D%7D"))
            #expect(try await client.readHead().status == 200)
            let first = try #require(try await client.readChunk())
            #expect(String(decoding: first, as: UTF8.self).contains("\"Action\":\"tag\""))
            #expect(try await client.readChunk() == nil, "the filter kept the container event out; the stream ended")
            let bad = try await client.request("GET", "/events?since=yesterday")
            #expect(bad.status == 400, "bad values are refused before the stream starts")
        }
    }

    @Test func jsonBodiesAreCheckedAsDockerChecksThem() async throws {
        let service = service(FixedSystem(published: [])) { router in
            router.add(.post, "/echo") { request, _ in .text(try await request.decodeJSON(EchoName.self).Name) }
        }
        try await TestServer.withInMemory(service) { server in
            let client = server.connect()
            let body = Array(#"{"Name":"x","Unknown":1}"#.utf8)
            for type in ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"] {
                let ok = try await client.request("POST", "/echo", headers: [("Content-Type", type)], body: body)
                #expect(ok.bodyText == "x", "\(type); unknown fields ignored")
            }
            let wrong = try await client.request("POST", "/echo", headers: [("Content-Type", "text/plain")], body: body)
            #expect(wrong.status == 400)
            #expect(wrong.errorMessage == "Content-Type specified (text/plain) must be 'application/json'")
            let missing = try await client.request("POST", "/echo", body: body)
            #expect(missing.errorMessage == "Content-Type specified () must be 'application/json'")
            let empty = try await client.request("POST", "/echo", headers: [("Content-Type", "application/json")], body: [])
            #expect(empty.status == 400)
            #expect(empty.errorMessage == "EOF")
            let malformed = try await client.request("POST", "/echo", headers: [("Content-Type", "application/json")],
                                                     body: Array("[1,".utf8))
            #expect(malformed.status == 400)
        }
    }
}
