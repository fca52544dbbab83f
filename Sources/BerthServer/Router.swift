import BerthHTTP

/// A request handler: request and context in, response out. Errors it throws become Docker's
/// `{"message": …}` response with the status the error carries.
public typealias Handler = @Sendable (Request, RequestContext) async throws -> Response

/// Routes by method and path template.
///
/// Templates are `/`-separated segments: a literal, `{name}` (exactly one segment) or
/// `{name:.*}` (any number of segments, greedy, so `/images/{name:.*}/json` captures
/// `localhost:5000/ns/app:v1`). A literal beats a one-segment variable, which beats a greedy one.
/// Versioned routes also answer under `/v{version}` with `version` matching `[0-9.]+`.
public struct Router: Sendable {
    public struct Route: Sendable {
        public let method: HTTPMethod
        public let template: String
        public let versioned: Bool
        public let handler: Handler
    }

    public struct Match: Sendable {
        public let route: Route
        public let parameters: PathParameters
        /// The `[0-9.]+` part of a `/v…/` prefix, if the path had one.
        public let version: Substring?
    }

    private enum Segment: Sendable, Equatable {
        case literal(String)
        case variable(String)
        case rest(String)
    }

    /// A node of the route tree. Children and routes are short lists searched in order: a
    /// segment is compared byte for byte, which costs less than hashing it.
    private struct Node: Sendable {
        var literals: [(segment: [UInt8], node: Node)] = []
        var variable: [Node] = []          // zero or one child
        var variableName = ""
        var rest: [Node] = []              // zero or one child
        var restName = ""
        var routes: [Route] = []           // at most one per method

        func route(for method: HTTPMethod) -> Route? {
            for route in routes where route.method == method { return route }
            return nil
        }

        func literal(_ segment: Substring.UTF8View) -> Node? {
            for child in literals where child.segment.count == segment.count && child.segment.elementsEqual(segment) {
                return child.node
            }
            return nil
        }
    }

    private var unversioned = Node()
    private var versionedRoot = Node()

    public init() {}

    /// Adds a route. `versioned: false` makes it answer only without a `/v…` prefix (debug routes).
    public mutating func add(_ method: HTTPMethod, _ template: String, versioned: Bool = true, _ handler: @escaping Handler) {
        let route = Route(method: method, template: template, versioned: versioned, handler: handler)
        let segments = Self.parse(template)
        Self.insert(route, segments[...], into: &unversioned)
        if versioned { Self.insert(route, segments[...], into: &versionedRoot) }
    }

    /// Finds the route for a decoded path, or nil (Docker answers 404 for an unknown path and for a
    /// known path with the wrong method alike). Walks the path in place: no segment array is built.
    public func match(_ method: HTTPMethod, path: String) -> Match? {
        guard path.utf8.first == 47 else { return nil }
        let rest = path.dropFirst()
        if let slash = rest.utf8.firstIndex(of: 47), let version = Self.versionPrefix(rest[..<slash]) {
            var parameters = PathParameters()
            if let route = Self.find(method, rest[rest.utf8.index(after: slash)...], in: versionedRoot, &parameters) {
                return Match(route: route, parameters: parameters, version: version)
            }
        }
        var parameters = PathParameters()
        guard let route = Self.find(method, rest, in: unversioned, &parameters) else { return nil }
        return Match(route: route, parameters: parameters, version: nil)
    }

    private static func versionPrefix(_ segment: Substring) -> Substring? {
        let utf8 = segment.utf8
        guard utf8.count > 1, utf8.first == UInt8(ascii: "v"),
              utf8.dropFirst().allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == 46 }) else { return nil }
        return segment.dropFirst()
    }

    private static func parse(_ template: String) -> [Segment] {
        precondition(template.hasPrefix("/"), "route templates start with /: \(template)")
        return template.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map { part in
            guard part.hasPrefix("{"), part.hasSuffix("}") else { return .literal(String(part)) }
            let inner = part.dropFirst().dropLast()
            if inner.hasSuffix(":.*") { return .rest(String(inner.dropLast(3))) }
            return .variable(String(inner))
        }
    }

    private static func insert(_ route: Route, _ segments: ArraySlice<Segment>, into node: inout Node) {
        guard let first = segments.first else {
            node.routes.removeAll { $0.method == route.method }
            node.routes.append(route)
            return
        }
        let rest = segments.dropFirst()
        switch first {
        case .literal(let text):
            let bytes = Array(text.utf8)
            if let i = node.literals.firstIndex(where: { $0.segment == bytes }) {
                insert(route, rest, into: &node.literals[i].node)
            } else {
                node.literals.append((bytes, Node()))
                insert(route, rest, into: &node.literals[node.literals.count - 1].node)
            }
        case .variable(let name):
            if node.variable.isEmpty { node.variable = [Node()]; node.variableName = name }
            insert(route, rest, into: &node.variable[0])
        case .rest(let name):
            if node.rest.isEmpty { node.rest = [Node()]; node.restName = name }
            insert(route, rest, into: &node.rest[0])
        }
    }

    /// Matches the segments of `remaining` (nil: none left) against `node`'s children: a literal
    /// first, then a one-segment variable, then a greedy variable (longest first).
    private static func find(_ method: HTTPMethod, _ remaining: Substring?, in node: Node,
                             _ parameters: inout PathParameters) -> Route? {
        guard let remaining else {
            if let route = node.route(for: method) { return route }
            // A greedy variable may also match nothing at the end.
            if let restNode = node.rest.first, let route = restNode.route(for: method) {
                parameters.append(node.restName, "")
                return route
            }
            return nil
        }
        // Byte searches: `/` is ASCII, so its UTF-8 index is a valid index of the substring.
        let slash = remaining.utf8.firstIndex(of: 47)
        let first = slash.map { remaining[..<$0] } ?? remaining
        let next: Substring? = slash.map { remaining[remaining.utf8.index(after: $0)...] }
        if let child = node.literal(first.utf8), let route = find(method, next, in: child, &parameters) {
            return route
        }
        if let child = node.variable.first, !first.isEmpty {
            let mark = parameters.pairs.count
            parameters.append(node.variableName, String(first))
            if let route = find(method, next, in: child, &parameters) { return route }
            parameters = PathParameters(Array(parameters.pairs.prefix(mark)))
        }
        if let child = node.rest.first {
            // Greedy: take every segment, then one fewer at a time, down to none.
            var cut: Substring.Index? = nil  // nil: take all of `remaining`
            while true {
                let taken = cut.map { remaining[..<$0] } ?? remaining
                let left: Substring? = cut.map { remaining[remaining.utf8.index(after: $0)...] }
                let mark = parameters.pairs.count
                parameters.append(node.restName, String(taken))
                if let route = find(method, left, in: child, &parameters) { return route }
                parameters = PathParameters(Array(parameters.pairs.prefix(mark)))
                guard let previous = remaining[..<(cut ?? remaining.endIndex)].utf8.lastIndex(of: 47) else { break }
                cut = previous
            }
            // None taken: the variable is empty and every segment is left.
            let mark = parameters.pairs.count
            parameters.append(node.restName, "")
            if let route = find(method, remaining, in: child, &parameters) { return route }
            parameters = PathParameters(Array(parameters.pairs.prefix(mark)))
        }
        return nil
    }
}
