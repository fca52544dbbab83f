import BerthCore
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's pidfile: written at start, refused if it names a live process, removed at exit.
enum PidFile {
    static func create(at path: String) throws(ConfigurationError) {
        if let text = SmallFile.text(path),
           let pid = Int32(text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? ""), pid > 0, pid != getpid(),
           kill(pid, 0) == 0 || errno == EPERM {
            throw ConfigurationError("pid file found, ensure berthd is not running or delete \(path)")
        }
        try Directories.create(parentOf: path)
        do {
            try Directories.write(path, Data("\(getpid())".utf8), mode: 0o644)
        } catch {
            throw ConfigurationError("cannot write pid file \(path): \(ConfigurationError.reason(of: error))")
        }
    }

    static func remove(at path: String) {
        unlink(path)
    }
}

/// The daemon's directories and small files.
enum Directories {
    /// Creates `path` and any missing parents with `mode`.
    static func create(_ path: String, mode: Int = 0o711) throws(ConfigurationError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: mode])
        } catch {
            throw ConfigurationError("cannot create directory \(path): \(ConfigurationError.reason(of: error))")
        }
    }

    static func create(parentOf path: String) throws(ConfigurationError) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        try create(String(path[..<slash]), mode: 0o755)
    }

    /// Replaces a file's contents atomically (a temporary file renamed over it), then sets its mode.
    static func write(_ path: String, _ data: Data, mode: Int) throws {
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }
}

/// The engine's stable identity, kept under the data root (`ID` in `/info`).
enum EngineID {
    static func loadOrCreate(dataRoot: String) throws(ConfigurationError) -> String {
        let path = dataRoot + "/engine-id"
        if let existing = SmallFile.text(path)?.split(separator: "\n").first, existing.count == 59 {
            return String(existing)
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var generator = SystemRandomNumberGenerator()
        let id = (0..<12).map { _ in String((0..<4).map { _ in alphabet[Int(generator.next() % 32)] }) }.joined(separator: ":")
        do {
            try Directories.write(path, Data((id + "\n").utf8), mode: 0o600)
        } catch {
            throw ConfigurationError("cannot write \(path): \(ConfigurationError.reason(of: error))")
        }
        return id
    }
}
