#if canImport(Glibc)
import Glibc
#endif

/// Creates the absolute `path` and its missing parents, new ones with `mode` (`mkdir -p`).
public func makeDirectories(_ path: String, mode: mode_t = 0o700) throws(FileError) {
    var built = ""
    for part in path.split(separator: "/") {
        built += "/" + part
        if mkdir(built, mode) != 0 && errno != EEXIST { throw FileError("mkdir", built) }
    }
}
