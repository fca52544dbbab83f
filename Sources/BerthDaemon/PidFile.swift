#if canImport(Glibc)
import Glibc
#endif

/// The daemon's pidfile: written at start, refused if it names a live process, removed at exit.
enum PidFile {
    static func create(at path: String) throws(ConfigurationError) {
        if let text = LocalFile.readText(path),
           let pid = Int32(text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? ""), pid > 0, pid != getpid(),
           kill(pid, 0) == 0 || errno == EPERM {
            throw ConfigurationError("pid file found, ensure berthd is not running or delete \(path)")
        }
        try Directories.create(parentOf: path)
        do {
            try LocalFile.write(path, Array("\(getpid())".utf8), mode: 0o644)
        } catch {
            throw ConfigurationError("cannot write pid file \(path): \(error.reason)")
        }
    }

    static func remove(at path: String) {
        unlink(path)
    }
}

/// Creating the daemon's directories.
enum Directories {
    static func create(_ path: String, mode: mode_t = 0o711) throws(ConfigurationError) {
        var built = ""
        for part in path.split(separator: "/") {
            built += "/" + part
            if mkdir(built, mode) != 0 && errno != EEXIST {
                throw ConfigurationError("cannot create directory \(built): \(String(cString: strerror(errno)))")
            }
        }
    }

    static func create(parentOf path: String) throws(ConfigurationError) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        try create(String(path[..<slash]), mode: 0o755)
    }
}

/// The engine's stable identity, kept under the data root (`ID` in `/info`).
enum EngineID {
    static func loadOrCreate(dataRoot: String) throws(ConfigurationError) -> String {
        let path = dataRoot + "/engine-id"
        if let existing = LocalFile.readText(path)?.split(separator: "\n").first, existing.count == 59 {
            return String(existing)
        }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var generator = SystemRandomNumberGenerator()
        let id = (0..<12).map { _ in String((0..<4).map { _ in alphabet[Int(generator.next() % 32)] }) }.joined(separator: ":")
        do {
            try LocalFile.write(path, Array((id + "\n").utf8), mode: 0o600)
        } catch {
            throw ConfigurationError("cannot write \(path): \(error.reason)")
        }
        return id
    }
}
