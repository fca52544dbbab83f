/// Path normalisation as gorilla/mux does it before routing: `//x`, `/./x` and `/a/../x` are
/// redirected to their clean form; a trailing slash is kept.
enum PathCleaning {
    /// The clean form of `path`, or nil when it is clean already.
    static func cleaned(_ path: String) -> String? {
        guard path.utf8.first == 47, needsCleaning(path.utf8) else { return nil }
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

    /// Whether a segment is empty, `.` or `..`: one pass over the bytes, no allocation (this runs
    /// for every request).
    private static func needsCleaning(_ utf8: String.UTF8View) -> Bool {
        var segmentLength = 0
        var dots = 0
        var first = true
        for byte in utf8 {
            if byte == 47 {
                if !first && (segmentLength == 0 || dots == segmentLength && dots <= 2) { return true }
                first = false
                segmentLength = 0
                dots = 0
            } else {
                segmentLength += 1
                if byte == 46 { dots += 1 }
            }
        }
        return segmentLength > 0 && dots == segmentLength && dots <= 2
    }
}
