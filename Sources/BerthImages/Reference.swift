import BerthCore

/// A name and tag, normalised as Docker does: `busybox` is `docker.io/library/busybox:latest`,
/// `ns/app` is `docker.io/ns/app:latest`, `localhost:5000/ns/app:v1` stays as it is. Shown in the
/// short ("familiar") form: `busybox:latest`, `ns/app:latest`, `localhost:5000/ns/app:v1`.
public struct Reference: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The registry: `docker.io`, `localhost:5000`, ….
    public let domain: String
    /// The path below the registry: `library/busybox`, `ns/app`.
    public let path: String
    public let tag: String

    /// Parses a name with an optional tag (`:latest` when none). A name with a digest, upper-case
    /// letters or characters Docker does not allow is an error with Docker's text.
    public init(parsing text: String) throws {
        guard !text.isEmpty else { throw APIError.invalidParameter("invalid reference format") }
        guard !text.contains("@") else {
            throw APIError.invalidParameter("invalid reference format: berthd does not resolve digests (\(text))")
        }
        var name = Substring(text)
        var tag = "latest"
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") {
            tag = String(name[name.index(after: colon)...])
            name = name[..<colon]
        }
        try self.init(name: String(name), tag: tag)
    }

    /// A repository (`docker.io/library/bb`, `bb`) and a tag given apart, as `POST …/tag` sends them.
    public init(name: String, tag: String) throws {
        guard Self.isValidTag(tag) else { throw APIError.invalidParameter("invalid tag format") }
        var components = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var domain = "docker.io"
        if components.count > 1, let first = components.first,
           first.contains(".") || first.contains(":") || first == "localhost" {
            domain = first
            components.removeFirst()
        }
        if domain == "index.docker.io" { domain = "docker.io" }
        if domain == "docker.io" && components.count == 1 { components.insert("library", at: 0) }
        for component in components where !Self.isValidComponent(component) {
            if component.lowercased() != component && Self.isValidComponent(component.lowercased()) {
                throw APIError.invalidParameter("invalid reference format: repository name must be lowercase")
            }
            throw APIError.invalidParameter("invalid reference format")
        }
        let path = components.joined(separator: "/")
        guard !path.isEmpty, domain.count + path.count + 1 <= 255 else {
            throw APIError.invalidParameter("invalid reference format: repository name must have at least one component")
        }
        self.domain = domain
        self.path = path
        self.tag = tag
    }

    /// The repository as users see it: `busybox`, `ns/app`, `localhost:5000/ns/app`.
    public var familiarName: String {
        guard domain == "docker.io" else { return "\(domain)/\(path)" }
        return path.hasPrefix("library/") ? String(path.dropFirst(8)) : path
    }

    /// The repository in full: `docker.io/library/busybox`.
    public var fullName: String { "\(domain)/\(path)" }

    /// `busybox:latest`.
    public var description: String { "\(familiarName):\(tag)" }

    public static func < (a: Reference, b: Reference) -> Bool { a.description < b.description }

    /// `[a-z0-9]+` separated by `.`, `_`, `__` or dashes.
    private static func isValidComponent(_ component: String) -> Bool {
        let bytes = Array(component.utf8)
        guard let first = bytes.first, let last = bytes.last, isAlnum(first), isAlnum(last) else { return false }
        var i = 0
        while i < bytes.count {
            if isAlnum(bytes[i]) { i += 1; continue }
            var j = i
            while j < bytes.count && !isAlnum(bytes[j]) { j += 1 }
            let separator = bytes[i..<j]
            let allowed = separator.elementsEqual([46]) || separator.elementsEqual([95]) || separator.elementsEqual([95, 95])
                || separator.allSatisfy { $0 == 45 }
            guard allowed else { return false }
            i = j
        }
        return true
    }

    private static func isAlnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }

    /// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    private static func isValidTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard let first = bytes.first, bytes.count <= 128, isWord(first) else { return false }
        return bytes.dropFirst().allSatisfy { isWord($0) || $0 == 46 || $0 == 45 }
    }

    private static func isWord(_ b: UInt8) -> Bool { isAlnum(b) || (b >= 65 && b <= 90) || b == 95 }
}
