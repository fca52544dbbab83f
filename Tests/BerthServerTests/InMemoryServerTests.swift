import BerthHTTP
import BerthLogging
import BerthServer
import BerthTesting
import Testing

@Suite struct InMemoryServerTests {
    @Test func servesRoutesWithTheStandardHeaders() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            let ping = try await client.request("GET", "/_ping")
            #expect(ping.status == 200)
            #expect(ping.bodyText == "OK")
            #expect(ping.header("Api-Version") == "1.41")
            #expect(ping.header("Ostype") == "linux")
            #expect(ping.header("Docker-Experimental") == "false")
            #expect(ping.header("Server") == "Berth/test (linux)")
            #expect(ping.header("Date")?.hasSuffix(" GMT") == true)
            let container = try await client.request("GET", "/v1.41/containers/%6Eosuch/json")
            #expect(container.bodyText == "container nosuch", "the path is percent-decoded before routing")
            let literal = try await client.request("GET", "/containers/special/json")
            #expect(literal.bodyText == "literal")
            let image = try await client.request("GET", "/v1.41/images/localhost:5000/ns/app:v1/json")
            #expect(image.bodyText == "image localhost:5000/ns/app:v1")
            let absolute = try await client.request("GET", "http://docker/_ping")
            #expect(absolute.bodyText == "OK")
        }
    }

    @Test func unknownRoutesAndWrongMethodsAre404WithoutMiddlewareHeaders() async throws {
        try await TestServer.withInMemory(TestService.make(cors: "*")) { server in
            let client = server.connect()
            for (method, path) in [("GET", "/nosuch"), ("POST", "/_ping"), ("DELETE", "/_ping"), ("get", "/_ping"),
                                   ("GET", "/_ping/"), ("GET", "/v1.99/nosuch"), ("GET", "/v1.41/debug/vars")] {
                let response = try await client.request(method, path)
                #expect(response.status == 404, "\(method) \(path)")
                #expect(response.bodyText == "{\"message\":\"page not found\"}\n")
                #expect(response.header("Api-Version") == nil)
                #expect(response.header("Access-Control-Allow-Origin") == nil)
                #expect(response.header("Content-Type") == "application/json")
            }
            let head = try await client.request("HEAD", "/nosuch")
            #expect(head.status == 404)
            #expect(head.header("Content-Length") == "29", "HEAD errors keep the length the body would have had")
            #expect(head.body.isEmpty)
        }
    }

    @Test func optionsAnswersAnyPath() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            let response = try await client.request("OPTIONS", "/anything/at/all")
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == "0")
            #expect(response.header("Content-Type") == nil)
            #expect(try await client.request("OPTIONS", "/v1.99/x").status == 400)
        }
    }

    @Test func versionCheckFollowsDockerd() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            let tooNew = try await client.request("GET", "/v1.42/_ping")
            #expect(tooNew.status == 400)
            #expect(tooNew.errorMessage == "client version 1.42 is too new. Maximum supported API version is 1.41")
            #expect(tooNew.header("Api-Version") == "1.41")
            #expect(tooNew.header("Docker-Experimental") == nil)
            for version in ["1.99", "2.0", "1.100", "1.41.1"] {
                #expect(try await client.request("GET", "/v\(version)/_ping").status == 400, "\(version)")
            }
            let tooOld = try await client.request("GET", "/v1.11/_ping")
            #expect(tooOld.status == 400)
            #expect(tooOld.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(tooOld.header("X-Content-Type-Options") == "nosniff")
            #expect(tooOld.bodyText == "client version 1.11 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version\n")
            for version in ["1.0", "1", "1..41", "."] {
                #expect(try await client.request("GET", "/v\(version)/_ping").status == 400, "\(version)")
            }
            #expect(try await client.request("GET", "/v1.041/version").bodyText == "api 1.041")
            #expect(try await client.request("GET", "/version").bodyText == "api 1.41")
            #expect(try await client.request("GET", "/v1.24/version").status == 200)
        }
    }

    @Test func corsHeadersOnEveryRoutedResponse() async throws {
        try await TestServer.withInMemory(TestService.make(cors: "http://a.example")) { server in
            let client = server.connect()
            for path in ["/_ping", "/v1.99/_ping", "/v1.11/_ping", "/fail/notfound"] {
                let response = try await client.request("GET", path)
                #expect(response.header("Access-Control-Allow-Origin") == "http://a.example", "\(path)")
                #expect(response.header("Access-Control-Allow-Headers") == "Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth")
                #expect(response.header("Access-Control-Allow-Methods") == "HEAD, GET, POST, DELETE, PUT, OPTIONS")
            }
        }
        try await TestServer.withInMemory(TestService.make()) { server in
            let response = try await server.connect().request("GET", "/_ping")
            #expect(response.header("Access-Control-Allow-Origin") == nil)
        }
    }

    @Test func errorsBecomeDockerMessagesWithTheirStatus() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            let notFound = try await client.request("GET", "/fail/notfound")
            #expect(notFound.status == 404)
            #expect(notFound.bodyText == "{\"message\":\"No such container: nosuch\"}\n")
            #expect(notFound.header("Api-Version") == "1.41", "error responses pass through the version middleware")
            #expect(try await client.request("GET", "/fail/conflict").status == 409)
            let other = try await client.request("GET", "/fail/other")
            #expect(other.status == 500)
            #expect(other.errorMessage == "something broke")
            let badInt = try await client.request("GET", "/stream?n=abc")
            #expect(badInt.status == 400)
        }
    }

    @Test func uncleanPathsRedirect() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            for path in ["//_ping", "/v1.41/../_ping", "/./_ping"] {
                let response = try await client.request("GET", path)
                #expect(response.status == 301, "\(path)")
                #expect(response.header("Location") == "/_ping")
                #expect(response.header("Content-Length") == "0")
            }
        }
    }

    @Test func loggingMiddlewareLogsTheRequestID() async throws {
        let sink = LogSink(fd: -1, level: .debug)
        sink.startCapturing()
        var router = Router()
        router.add(.get, "/containers/{name}/json") { _, _ in .text("x") }
        let service = Service(router: router, middleware: [LoggingMiddleware(logger: Logger(sink: sink), level: .info)])
        try await TestServer.withInMemory(service) { server in
            _ = try await server.connect().request("GET", "/v1.41/containers/abc/json")
        }
        let lines = sink.capturedLines
        #expect(lines.contains { $0.contains("msg=\"Calling GET /v1.41/containers/abc/json\"") })
        let line = try #require(lines.first { $0.contains("msg=\"GET /v1.41/containers/abc/json\"") && $0.contains("status=") })
        #expect(line.contains("level=info"))
        #expect(line.contains("route=/containers/{name}/json"))
        #expect(line.contains("status=200"))
        #expect(line.contains("method=GET"))
        #expect(line.contains("bytes=1"))
        #expect(line.contains("request-id=0"))
    }
}
