import FoundationEssentials

/// What is at a path in a container, as `docker cp` asks for it (`HEAD` and `GET
/// /containers/{id}/archive`): sent base64-encoded JSON in the `X-Docker-Container-Path-Stat`
/// header.
public struct ContainerPathStat: Codable, Sendable, Equatable {
    /// The path's last element (`/` for the root).
    public var name: String
    public var size: Int64
    /// Go's `os.FileMode`: permission bits, plus type and special bits in the high bits.
    public var mode: UInt32
    /// RFC 3339 with nanoseconds.
    public var mtime: String
    /// For a symbolic link, the absolute path in the container it finally leads to.
    public var linkTarget: String

    public init(name: String, size: Int64, mode: UInt32, mtime: String, linkTarget: String) {
        self.name = name
        self.size = size
        self.mode = mode
        self.mtime = mtime
        self.linkTarget = linkTarget
    }

    /// The header's name and value.
    public static let headerName = "X-Docker-Container-Path-Stat"

    public var headerValue: String {
        // Encoding five plain fields cannot fail.
        (try? JSONEncoder().encode(self))?.base64EncodedString() ?? ""
    }

    /// Go's `os.FileMode` bits for a `stat` mode.
    public enum GoFileMode {
        public static let directory: UInt32 = 1 << 31
        public static let symlink: UInt32 = 1 << 27
        public static let device: UInt32 = 1 << 26
        public static let namedPipe: UInt32 = 1 << 25
        public static let socket: UInt32 = 1 << 24
        public static let setuid: UInt32 = 1 << 23
        public static let setgid: UInt32 = 1 << 22
        public static let characterDevice: UInt32 = 1 << 21
        public static let sticky: UInt32 = 1 << 20

        /// The Go mode of a Unix `st_mode`.
        public static func from(unixMode mode: UInt32) -> UInt32 {
            var result = mode & 0o777
            switch mode & 0o170000 {
            case 0o040000: result |= directory
            case 0o120000: result |= symlink
            case 0o060000: result |= device
            case 0o020000: result |= device | characterDevice
            case 0o010000: result |= namedPipe
            case 0o140000: result |= socket
            default: break
            }
            if mode & 0o4000 != 0 { result |= setuid }
            if mode & 0o2000 != 0 { result |= setgid }
            if mode & 0o1000 != 0 { result |= sticky }
            return result
        }
    }
}

/// `PUT /containers/{id}/archive`'s options.
public struct ExtractOptions: Sendable {
    /// Refuse to replace a directory with something else, or something else with a directory.
    public var noOverwriteDirNonDir = false
    /// Give what is extracted the container user's owner (`docker cp -a`), not the archive's.
    public var copyUIDGID = false

    public init(noOverwriteDirNonDir: Bool = false, copyUIDGID: Bool = false) {
        self.noOverwriteDirNonDir = noOverwriteDirNonDir
        self.copyUIDGID = copyUIDGID
    }
}
