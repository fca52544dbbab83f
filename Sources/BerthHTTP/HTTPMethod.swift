/// A request method. Methods are case-sensitive, as in Go's net/http: `get` is not `GET`.
public enum HTTPMethod: Sendable, Hashable, CustomStringConvertible {
    case get, head, post, put, delete, options, patch
    case other(String)

    public init(_ name: String) {
        switch name {
        case "GET": self = .get
        case "HEAD": self = .head
        case "POST": self = .post
        case "PUT": self = .put
        case "DELETE": self = .delete
        case "OPTIONS": self = .options
        case "PATCH": self = .patch
        default: self = .other(name)
        }
    }

    /// Recognises the common methods from raw bytes without allocating.
    init(bytes: UnsafeRawBufferPointer) {
        func eq(_ s: StaticString) -> Bool {
            s.utf8CodeUnitCount == bytes.count && memcmp(s.utf8Start, bytes.baseAddress!, bytes.count) == 0  // a request line's method has at least one byte
        }
        if eq("GET") { self = .get } else if eq("HEAD") { self = .head } else if eq("POST") { self = .post }
        else if eq("PUT") { self = .put } else if eq("DELETE") { self = .delete }
        else if eq("OPTIONS") { self = .options } else if eq("PATCH") { self = .patch }
        else { self = .other(String(decoding: bytes, as: UTF8.self)) }
    }

    public var description: String {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .delete: "DELETE"
        case .options: "OPTIONS"
        case .patch: "PATCH"
        case .other(let name): name
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
