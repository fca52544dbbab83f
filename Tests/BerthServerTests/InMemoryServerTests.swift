import BerthCore
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
            #expect(ping.header("X-Stamp") == "yes")
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
                #expect(response.bodyText == "404 page not found\n", "Go's default answer")
                #expect(response.header("Api-Version") == nil)
                #expect(response.header("Access-Control-Allow-Origin") == nil)
                #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
            }
            let head = try await client.request("HEAD", "/nosuch")
            #expect(head.status == 404)
            #expect(head.header("Content-Length") == "19", "HEAD errors keep the length the body would have had")
            #expect(head.body.isEmpty)
        }
    }

    @Test func theNotFoundAnswerIsTheServices() async throws {
        let service = Service(router: Router(), middleware: [], notFound: .error("nothing here", status: .notFound))
        try await TestServer.withInMemory(service) { server in
            let response = try await server.connect().request("GET", "/nosuch")
            #expect(response.status == 404)
            #expect(response.bodyText == "{\"message\":\"nothing here\"}\n")
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

    @Test func versionsOutOfRangeGetThePolicysAnswers() async throws {
        try await TestServer.withInMemory(TestService.make()) { server in
            let client = server.connect()
            let tooNew = try await client.request("GET", "/v1.42/_ping")
            #expect(tooNew.status == 400)
            #expect(tooNew.errorMessage == "1.42 is above 1.41")
            #expect(tooNew.header("Api-Version") == "1.41")
            #expect(tooNew.header("X-Stamp") == nil, "version errors carry the policy's own fields")
            for version in ["1.99", "2.0", "1.100", "1.41.1"] {
                #expect(try await client.request("GET", "/v\(version)/_ping").status == 400, "\(version)")
            }
            let tooOld = try await client.request("GET", "/v1.11/_ping")
            #expect(tooOld.status == 400)
            #expect(tooOld.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(tooOld.bodyText == "1.11 is below 1.24\n")
            #expect(tooOld.header("Server") == "Berth/test (linux)")
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
                #expect(response.header("Access-Control-Allow-Headers") == "Content-Type")
                #expect(response.header("Access-Control-Allow-Methods") == "GET, POST")
            }
        }
        try await TestServer.withInMemory(TestService.make()) { server in
            let response = try await server.connect().request("GET", "/_ping")
            #expect(response.header("Access-Control-Allow-Origin") == nil)
        }
    }

    @Test func errorsBecomeMessagesWithTheStatusOfTheirKind() async throws {
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

    @Test func loggingMiddlewareLogsAccessLinesAtDebugWithTheRequestID() async throws {
        let sink = LogSink(fd: -1, level: .debug)
        sink.startCapturing()
        var router = Router()
        router.add(.get, "/containers/{name}/json") { _, _ in .text("x") }
        let service = Service(router: router, middleware: [LoggingMiddleware(logger: Logger(sink: sink))])
        try await TestServer.withInMemory(service) { server in
            _ = try await server.connect().request("GET", "/v1.41/containers/abc/json")
        }
        let lines = sink.capturedLines
        #expect(lines.contains { $0.contains("msg=\"Calling GET /v1.41/containers/abc/json\"") })
        let line = try #require(lines.first { $0.contains("msg=\"GET /v1.41/containers/abc/json\"") && $0.contains("status=") })
        #expect(line.contains("level=debug"))
        #expect(line.contains("route=/containers/{name}/json"))
        #expect(line.contains("status=200"))
        #expect(line.contains("method=GET"))
        #expect(line.contains("bytes=1"))
        #expect(line.contains("request-id=0"))
    }

    @Test func atInfoOnlyServerErrorsAreLoggedAndTheyKeepTheirRequestID() async throws {
        let sink = LogSink(fd: -1, level: .info)
        sink.startCapturing()
        var router = Router()
        router.add(.get, "/ok") { _, _ in .text("x") }
        router.add(.get, "/missing") { _, _ in throw APIError.notFound("No such thing") }
        router.add(.get, "/broken") { _, _ in throw APIError.system("disk on fire") }
        let service = Service(router: router, middleware: [LoggingMiddleware(logger: Logger(sink: sink))])
        try await TestServer.withInMemory(service) { server in
            let client = server.connect()
            for path in ["/ok", "/missing", "/broken", "/ok"] { _ = try await client.request("GET", path) }
        }
        let lines = sink.capturedLines
        #expect(lines.count == 1, "one line for four requests: \(lines)")
        let line = try #require(lines.first)
        #expect(line.contains("level=error"))
        #expect(line.contains("msg=\"Handler for GET /broken returned error: disk on fire\""))
        #expect(line.contains("status=500"))
        #expect(line.contains("request-id="))
    }
}
