#if canImport(Glibc)
import Glibc
#endif

/// An errno value's text as Go prints it: strerror with a lowercase first letter
/// (`no such file or directory`), so that messages read like dockerd's.
public func errnoText(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    guard let first = text.first else { return text }
    return first.lowercased() + text.dropFirst()
}
