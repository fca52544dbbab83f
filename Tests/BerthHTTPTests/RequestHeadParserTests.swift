import Testing
@testable import BerthHTTP

/// Parses one request head given as text; CRLF is written as \r\n in the literals.
private func parse(_ text: String, limits: RequestHeadParser.Limits = .init()) throws -> RequestHead {
    var parser = RequestHeadParser(limits: limits)
    let bytes = Array(text.utf8)
    let result = try bytes.withUnsafeBytes { raw in try parser.parse(raw) }
    guard case .complete(let head, _) = result else { throw HTTPParseError(.badRequest, "incomplete in test") }
    return head
}

/// The status a malformed head is refused with, or nil if it parses (or needs more bytes).
private func refusal(_ text: String, limits: RequestHeadParser.Limits = .init()) -> Int? {
    refusal(bytes: Array(text.utf8), limits: limits)
}

private func refusal(bytes: [UInt8], limits: RequestHeadParser.Limits = .init()) -> Int? {
    var parser = RequestHeadParser(limits: limits)
    do {
        _ = try bytes.withUnsafeBytes { raw in try parser.parse(raw) }
        return nil
    } catch let error as HTTPParseError {
        return error.status.code
    } catch {
        return -1
    }
}

@Suite struct RequestHeadParserTests {
    @Test func parsesAValidRequest() throws {
        let head = try parse("GET /v1.41/containers/json?all=1 HTTP/1.1\r\nHost: api.moby.localhost\r\nUser-Agent: Docker-Client/28.2.2 (linux)\r\nX-Empty:\r\n\r\n")
        #expect(head.method == .get)
        #expect(head.target == "/v1.41/containers/json?all=1")
        #expect(head.version == .http1_1)
        #expect(head.headers["host"] == "api.moby.localhost")
        #expect(head.headers["USER-AGENT"] == "Docker-Client/28.2.2 (linux)")
        #expect(head.headers["x-empty"] == "")
        #expect(head.headers.count == 3)
        #expect(head.framing == .none)
        #expect(head.keepAlive)
    }

    @Test func parsesIncrementallyByteByByte() throws {
        let text = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        var parser = RequestHeadParser()
        var buffer: [UInt8] = []
        var result: RequestHeadParser.Result = .needMore
        for byte in text.utf8 {
            buffer.append(byte)
            result = try buffer.withUnsafeBytes { try parser.parse($0) }
            if case .complete = result { break }
        }
        guard case .complete(let head, let consumed) = result else {
            Issue.record("never completed")
            return
        }
        #expect(head.framing == .length(3))
        #expect(consumed == text.utf8.count - 3)
    }

    @Test func reportsConsumedBytesForPipelining() throws {
        let one = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
        var parser = RequestHeadParser()
        let bytes = Array((one + "GET /b HTTP/1.1\r\nHost: h\r\n\r\n").utf8)
        let first = try bytes.withUnsafeBytes { try parser.parse($0) }
        guard case .complete(let a, let consumed) = first else { Issue.record("first incomplete"); return }
        #expect(a.target == "/a")
        #expect(consumed == one.utf8.count)
        let second = try bytes[consumed...].withUnsafeBytes { try parser.parse($0) }
        guard case .complete(let b, _) = second else { Issue.record("second incomplete"); return }
        #expect(b.target == "/b")
    }

    @Test func toleratesLeadingEmptyLines() throws {
        #expect(try parse("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n").target == "/")
    }

    @Test(arguments: [
        "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",           // double space
        "GET /  HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",           // trailing space
        "GET /a\u{1}b HTTP/1.1\r\nHost: h\r\n\r\n",     // control byte in target
        "GET /a\u{0}b HTTP/1.1\r\nHost: h\r\n\r\n",     // NUL
        "GET /\u{7F} HTTP/1.1\r\nHost: h\r\n\r\n",      // DEL
        "GET / http/1.1\r\nHost: h\r\n\r\n",            // lowercase version
        "GET / HTTP/1.1x\r\nHost: h\r\n\r\n",           // junk version
        "GET / HTTP/11\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.10\r\nHost: h\r\n\r\n",
        "GET /\r\nHost: h\r\n\r\n",                     // no version
        "GET\r\n\r\n",
        "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",            // bad method byte
        " GET / HTTP/1.1\r\nHost: h\r\n\r\n",           // leading space
        "GET / HTTP/1.1\nHost: h\n\n",                  // bare LF
    ])
    func refusesMalformedRequestLines(_ text: String) {
        #expect(refusal(text) == 400)
    }

    @Test func refusesEightBitMethodBytes() {
        #expect(refusal(bytes: [0x47, 0xC9, 0x54, 0x20, 0x2F, 0x20] + Array("HTTP/1.1\r\nHost: h\r\n\r\n".utf8)) == 400)
    }

    @Test func answersUnsupportedVersionsWith505() {
        #expect(refusal("GET / HTTP/2.0\r\nHost: h\r\n\r\n") == 505)
        #expect(refusal("GET / HTTP/0.9\r\n\r\n") == 505)
    }

    @Test func refusesATLSClientHelloAtTheFirstByte() {
        #expect(refusal(bytes: [0x16]) == 400)
        #expect(refusal(bytes: [0x16, 0x03, 0x01, 0x02, 0x00]) == 400)
        #expect(refusal(bytes: [0x80]) == 400)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nName : v\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nNa(me: v\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\nY: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\u{7}b\r\n\r\n",
    ])
    func refusesMalformedHeaderLines(_ text: String) {
        #expect(refusal(text) == 400)
    }

    @Test func requiresExactlyOneValidHostOnHTTP11() throws {
        #expect(refusal("GET / HTTP/1.1\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") == 400)
        #expect(refusal("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n") == 400)
        #expect(try parse("GET / HTTP/1.0\r\n\r\n").version == .http1_0)
        #expect(try parse("GET / HTTP/1.1\r\nHost: [::1]:2375\r\n\r\n").headers["Host"] == "[::1]:2375")
    }

    @Test func missingHostSaysSo() {
        #expect(throws: HTTPParseError(.badRequest, "missing required Host header")) {
            try parse("GET / HTTP/1.1\r\n\r\n")
        }
    }

    @Test func refusesAmbiguousContentLength() throws {
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1a\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400)
        #expect(try parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n").framing == .length(7))
        #expect(try parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").framing == .none)
    }

    @Test func acceptsOnlyChunkedTransferEncoding() throws {
        #expect(try parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n").framing == .chunked)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n") == 501)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;x\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n") == 400)
        #expect(refusal("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == 400)
    }

    @Test func enforcesSizeLimits() {
        let longTarget = "/" + String(repeating: "a", count: 8 * 1024)
        #expect(refusal("GET \(longTarget) HTTP/1.1\r\nHost: h\r\n\r\n") == 414)
        #expect(refusal("GET \(longTarget)") == 414, "refused before the line ends")
        let bigHeader = "X-Big: " + String(repeating: "b", count: 64 * 1024) + "\r\n"
        #expect(refusal("GET / HTTP/1.1\r\nHost: h\r\n\(bigHeader)\r\n") == 431)
        #expect(refusal("GET / HTTP/1.1\r\nHost: h\r\n\(bigHeader)") == 431, "refused before the block ends")
        let manyHeaders = (0..<2000).map { "X-H\($0): \(String(repeating: "v", count: 30))\r\n" }.joined()
        #expect(refusal("GET / HTTP/1.1\r\nHost: h\r\n\(manyHeaders)\r\n") == 431)
    }

    @Test func headerLimitMessageNamesTheLimit() {
        let bigHeader = "X-Big: " + String(repeating: "b", count: 70 * 1024)
        #expect(throws: HTTPParseError(.headerFieldsTooLarge, "request header block too large: the limit is 65536 bytes")) {
            try parse("GET / HTTP/1.1\r\nHost: h\r\n\(bigHeader)")
        }
    }

    @Test func readsExpectAndConnection() throws {
        let post = try parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n")
        #expect(post.expectsContinue)
        #expect(refusal("POST / HTTP/1.1\r\nHost: h\r\nExpect: something-else\r\n\r\n") == 417)
        #expect(try !parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").keepAlive)
        #expect(try !parse("GET / HTTP/1.0\r\n\r\n").keepAlive)
        #expect(try parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keepAlive)
        let upgrade = try parse("POST /x HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
        #expect(upgrade.wantsUpgrade)
        #expect(try !parse("POST /x HTTP/1.1\r\nHost: h\r\nUpgrade: tcp\r\n\r\n").wantsUpgrade)
    }

    @Test func keepsOtherMethodsVerbatim() throws {
        #expect(try parse("get / HTTP/1.1\r\nHost: h\r\n\r\n").method == .other("get"))
        #expect(try parse("BREW / HTTP/1.1\r\nHost: h\r\n\r\n").method.description == "BREW")
    }
}
