import BerthCore

/// An archive that cannot be read or applied, with the entry it concerns when there is one. A
/// client's archive that is malformed or hostile is the client's fault (400); a failure of the
/// file system under it is the daemon's (500).
public struct ArchiveError: KindedError, CustomStringConvertible, Equatable {
    public let kind: ErrorKind
    public let message: String

    public var description: String { message }

    /// A malformed or refused archive.
    static func invalid(_ message: String) -> ArchiveError { ArchiveError(kind: .invalidParameter, message: message) }

    /// An entry refused: `archive entry "<name>": <why>`.
    static func entry(_ path: [UInt8], _ why: String) -> ArchiveError {
        invalid("archive entry \(GoQuoted.quoted(String(decoding: path, as: UTF8.self))): \(why)")
    }

    /// A system call that failed while applying an entry.
    static func system(_ path: [UInt8], _ operation: String, _ code: Int32) -> ArchiveError {
        ArchiveError(kind: .system, message: "archive entry \(GoQuoted.quoted(String(decoding: path, as: UTF8.self))): \(operation): \(errnoText(code))")
    }
}
