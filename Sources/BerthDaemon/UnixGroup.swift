#if canImport(Glibc)
import Glibc
#endif

/// Group lookups for the unix socket's ownership. Runs at start-up on the main thread (NSS may
/// read files or ask a directory service).
enum UnixGroup {
    static func id(named name: String) -> gid_t? {
        var group = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16 * 1024)
        guard getgrnam_r(name, &group, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return group.gr_gid
    }
}
