import BerthCore
import BerthHTTP
import FoundationEssentials

/// What a handler answers: a status, header fields and a body (`ResponseBody`: none, fixed bytes, a
/// stream, raw bytes until close, or a hijack).
public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: ResponseBody
    /// Leave out the standard fields `APIVersionMiddleware` stamps (`Api-Version`, `Server`, …), as
    /// Docker's daemon does on the `101 UPGRADED` answer to a hijacked attach.
    public var omitsStandardHeaders = false
    /// The daemon's standard fields, written after `headers`; kept apart so that stamping them
    /// on a response costs no copy. Set by `APIVersionMiddleware`.
    var standardFields: HTTPHeaders?
    /// Whether the standard fields have been added (to `standardFields` or `headers`).
    var isStamped = false

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: ResponseBody = .empty) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body from bytes already encoded.
    public static func json(_ bytes: [UInt8], status: HTTPStatus = .ok) -> Response {
        Response(status: status, headers: ["Content-Type": "application/json"], body: .bytes(bytes))
    }

    /// A JSON body encoded from a value, ending with a newline as Go's encoder does (which
    /// leaves slashes unescaped).
    public static func json(_ value: some Encodable, status: HTTPStatus = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        var bytes = Array(try encoder.encode(value))
        bytes.append(10)
        return json(bytes, status: status)
    }

    /// A `text/plain` body.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> Response {
        Response(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: .bytes(Array(text.utf8)))
    }

    /// A streamed body: headers go out at once, then each `write` is flushed as one chunk.
    public static func stream(status: HTTPStatus = .ok, headers: HTTPHeaders = ["Content-Type": "application/json"],
                              _ produce: @escaping @Sendable (ResponseBodyWriter) async throws -> Void) -> Response {
        Response(status: status, headers: headers, body: .stream(produce))
    }

    /// The `message` of a Docker error body, if this response carries one.
    public var errorMessage: String? {
        guard case .bytes(let body) = body, body.starts(with: Array("{\"message\":".utf8)),
              let decoded = try? JSONDecoder().decode([String: String].self, from: Data(body)) else { return nil }
        return decoded["message"]
    }

    /// An error answer: `{"message": …}` with the given status (see `ErrorResponse`).
    public static func error(_ message: String, status: HTTPStatus) -> Response {
        json(ErrorResponse.body(message), status: status)
    }
}

/// The five kinds of response body.
public enum ResponseBody: Sendable {
    case empty
    /// A fixed body sent with `Content-Length`, head and body in one write.
    case bytes([UInt8])
    /// A streamed body: chunked on HTTP/1.1 (each write flushed as a chunk), delimited by closing the
    /// connection on HTTP/1.0.
    case stream(@Sendable (ResponseBodyWriter) async throws -> Void)
    /// A raw byte stream after the head, delimited by closing the connection (how Docker's daemon
    /// answers an attach that did not ask to upgrade).
    case raw(@Sendable (ResponseBodyWriter) async throws -> Void)
    /// A hijack: the head (normally `101 UPGRADED`), then the connection is the handler's as a
    /// two-way byte stream. The server closes it when the handler returns.
    case hijack(@Sendable (HijackedStream) async throws -> Void)
}
