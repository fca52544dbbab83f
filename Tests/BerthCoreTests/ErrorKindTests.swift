import BerthCore
import Testing

@Suite struct ErrorKindTests {
    private struct Decodable_: Decodable { let x: Int }
    private struct Other: Error, CustomStringConvertible { var description: String { "disk on fire" } }

    @Test func everyErrorHasOneKindAndMessage() throws {
        #expect(ErrorKind.classify(APIError.notFound("No such container: x")) == (.notFound, "No such container: x"))
        #expect(ErrorKind.classify(CancellationError()) == (.unavailable, "context canceled"))
        #expect(ErrorKind.classify(Other()) == (.system, "disk on fire"))
        let decoding = DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not JSON"))
        let (kind, message) = ErrorKind.classify(decoding)
        #expect(kind == .invalidParameter, "JSON a client sent that does not decode is the client's fault")
        #expect(message.hasPrefix("invalid JSON: "))
    }
}
