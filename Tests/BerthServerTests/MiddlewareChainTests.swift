import BerthCore
import BerthHTTP
import BerthServer
import BerthSync
import BerthTesting
import Testing

/// Records the order in which its hooks run, and may answer early.
private struct Step: Middleware {
    let name: String
    let log: Locked<[String]>
    var answerEarly = false

    func willRespond(to request: Request, context: inout RequestContext) throws -> Response? {
        log.withLock { $0.append("\(name) in") }
        return answerEarly && request.path == "/early" ? .text("answered by \(name)", status: .forbidden) : nil
    }

    func didRespond(to request: Request, context: RequestContext, response: inout Response) {
        log.withLock { $0.append("\(name) out \(response.status.code)") }
        response.headers.add("X-Seen-By", name)
    }
}

private struct Broken: KindedError {
    var kind: ErrorKind { .conflict }
    var message: String { "it broke" }
}

extension TestResponse {
    fileprivate func headers(named name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }
}

@Suite struct MiddlewareChainTests {
    private func service(_ log: Locked<[String]>) -> Service {
        var router = Router()
        router.add(.get, "/ok") { _, _ in .text("fine") }
        router.add(.get, "/early") { _, _ in .text("handler ran") }
        router.add(.get, "/throws") { _, _ in throw Broken() }
        return Service(router: router, middleware: [
            Step(name: "outer", log: log), Step(name: "gate", log: log, answerEarly: true), Step(name: "inner", log: log),
        ])
    }

    @Test func stepsRunOutermostFirstBeforeAndInnermostFirstAfter() async throws {
        let log = Locked<[String]>([])
        try await TestServer.withInMemory(service(log)) { server in
            let response = try await server.connect().request("GET", "/ok")
            #expect(response.bodyText == "fine")
            #expect(response.headers(named: "X-Seen-By") == ["inner", "gate", "outer"])
        }
        #expect(log.withLock { $0 } == ["outer in", "gate in", "inner in", "inner out 200", "gate out 200", "outer out 200"])
    }

    @Test func aStepThatAnswersSkipsTheInnerStepsAndTheHandler() async throws {
        let log = Locked<[String]>([])
        try await TestServer.withInMemory(service(log)) { server in
            let response = try await server.connect().request("GET", "/early")
            #expect(response.status == 403)
            #expect(response.bodyText == "answered by gate")
            #expect(response.headers(named: "X-Seen-By") == ["gate", "outer"])
        }
        #expect(log.withLock { $0 } == ["outer in", "gate in", "gate out 403", "outer out 403"])
    }

    @Test func aThrownErrorReachesEveryStepAsDockersErrorResponse() async throws {
        let log = Locked<[String]>([])
        try await TestServer.withInMemory(service(log)) { server in
            let response = try await server.connect().request("GET", "/throws")
            #expect(response.status == 409)
            #expect(response.bodyText == "{\"message\":\"it broke\"}\n")
            #expect(response.headers(named: "X-Seen-By") == ["inner", "gate", "outer"])
        }
    }
}
