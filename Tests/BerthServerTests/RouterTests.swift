import BerthHTTP
import BerthServer
import Testing

@Suite struct RouterTests {
    private func router() -> Router {
        var router = Router()
        let handler: Handler = { _, _ in Response() }
        router.add(.get, "/containers/{name}/json", handler)
        router.add(.get, "/containers/json", handler)
        router.add(.get, "/images/{name:.*}/json", handler)
        router.add(.get, "/images/json", handler)
        router.add(.delete, "/images/{name:.*}", handler)
        router.add(.post, "/images/{name:.*}/tag", handler)
        router.add(.get, "/debug/vars", versioned: false, handler)
        return router
    }

    @Test func literalSegmentsBeatVariables() throws {
        let match = try #require(router().match(.get, path: "/containers/json"))
        #expect(match.route.template == "/containers/json")
        let variable = try #require(router().match(.get, path: "/containers/abc/json"))
        #expect(variable.route.template == "/containers/{name}/json")
        #expect(variable.parameters["name"] == "abc")
        #expect(try #require(router().match(.get, path: "/images/json")).route.template == "/images/json")
    }

    @Test func greedyVariablesTakeSlashesAndColons() throws {
        let inspect = try #require(router().match(.get, path: "/images/localhost:5000/ns/app:v1/json"))
        #expect(inspect.parameters["name"] == "localhost:5000/ns/app:v1")
        let delete = try #require(router().match(.delete, path: "/images/localhost:5000/ns/app:v1"))
        #expect(delete.parameters["name"] == "localhost:5000/ns/app:v1")
        let tag = try #require(router().match(.post, path: "/images/bb:latest/tag"))
        #expect(tag.parameters["name"] == "bb:latest")
    }

    @Test func versionPrefixIsOptionalAndCaptured() throws {
        let match = try #require(router().match(.get, path: "/v1.41/containers/x/json"))
        #expect(match.version == "1.41")
        #expect(match.parameters["name"] == "x")
        #expect(router().match(.get, path: "/containers/x/json")?.version == nil)
        #expect(router().match(.get, path: "/vabc/containers/json") == nil)
        #expect(router().match(.get, path: "/V1.41/containers/json") == nil)
        #expect(router().match(.get, path: "/v1.41") == nil)
    }

    @Test func unversionedRoutesRefuseThePrefix() {
        #expect(router().match(.get, path: "/debug/vars") != nil)
        #expect(router().match(.get, path: "/v1.41/debug/vars") == nil)
    }

    @Test func methodIsPartOfTheMatch() {
        #expect(router().match(.post, path: "/containers/json") == nil)
        #expect(router().match(.other("get"), path: "/containers/json") == nil)
        #expect(router().match(.get, path: "/containers/json/") == nil, "a trailing slash is another path")
    }
}
