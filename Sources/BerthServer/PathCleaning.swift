/// Path normalisation as gorilla/mux does it before routing: `//x`, `/./x` and `/a/../x` are
/// redirected to their clean form; a trailing slash is kept.
enum PathCleaning {
    /// The clean form of `path`, or nil when it is clean already.
    static func cleaned(_ path: String) -> String? {
        guard path.utf8.first == 47 else { return nil }
        let suspicious = path.firstRange(of: "//") != nil || path.firstRange(of: "/./") != nil
            || path.firstRange(of: "/../") != nil || path.hasSuffix("/.") || path.hasSuffix("/..")
        guard suspicious else { return nil }
        var stack: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { _ = stack.popLast(); continue }
            stack.append(part)
        }
        var clean = "/" + stack.joined(separator: "/")
        if path.hasSuffix("/") && clean != "/" { clean += "/" }
        return clean == path ? nil : clean
    }
}
