import Foundation
import Testing
import BerthCore
@testable import BerthHTTP

@Suite struct ResponseHeadWriterTests {
    private func head(_ headers: HTTPHeaders, more: HTTPHeaders? = nil, framing: ResponseHeadWriter.Framing = .length(2),
                      version: HTTPVersion = .http1_1, date: Bool = false, connection: StaticString? = nil) -> String {
        var out: [UInt8] = []
        ResponseHeadWriter.write(status: .ok, version: version, headers: headers, more: more, framing: framing,
                                 date: date, connection: connection, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func writesStatusLineFieldsInOrderThenFramingAndConnection() {
        let text = head(["Content-Type": "text/plain", "Pragma": "no-cache"], more: ["Server": "Berth"],
                        framing: .length(1234), version: .http1_0, connection: "keep-alive")
        #expect(text == "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nPragma: no-cache\r\nServer: Berth\r\n"
                + "Content-Length: 1234\r\nConnection: keep-alive\r\n\r\n")
        #expect(head([:], framing: .chunked) == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(head([:], framing: .none, connection: "close") == "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
    }

    @Test func aLineBreakInAValueCannotStartAnotherField() {
        let text = head(["X-Note": "a\r\nSet-Cookie: evil=1\nb"])
        #expect(text == "HTTP/1.1 200 OK\r\nX-Note: a  Set-Cookie: evil=1 b\r\nContent-Length: 2\r\n\r\n")
    }

    @Test func theWireFormFollowsEveryChangeToTheFields() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "X-A": "1"]
        headers.set("content-type", "application/json")
        headers.add("X-A", "2")
        headers.setIfAbsent("X-A", "3")
        headers.setIfAbsent("X-B", "4")
        #expect(String(decoding: headers.encoded, as: UTF8.self)
                == "X-A: 1\r\ncontent-type: application/json\r\nX-A: 2\r\nX-B: 4\r\n")
        headers.remove("x-a")
        #expect(String(decoding: headers.encoded, as: UTF8.self) == "content-type: application/json\r\nX-B: 4\r\n")
        #expect(headers["CONTENT-TYPE"] == "application/json")
        #expect(headers.containsAny(of: ["x-b": ""]))
        #expect(!headers.containsAny(of: ["X-C": "", "X-BB": ""]))
    }

    @Test func theDateFieldIsTheCurrentIMFFixdate() throws {
        let before = Int(Date().timeIntervalSince1970)
        let text = head([:], date: true)
        let after = Int(Date().timeIntervalSince1970)
        let line = try #require(text.split(separator: "\r\n").first { $0.hasPrefix("Date: ") })
        let value = String(line.dropFirst(6))
        #expect(value.utf8.count == HTTPDate.length)
        // The coarse clock may lag the precise one by a tick.
        #expect((before - 1...after).map { Timestamp.imfFixdate(epochSeconds: $0) }.contains(value))
    }
}
