import BerthAPI
import BerthCore
import FoundationEssentials

/// The Dockerfile instructions `docker import -c` and `docker commit -c` send (`changes`), applied
/// to an image's configuration: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
/// VOLUME and WORKDIR, in the JSON or the shell form.
enum ConfigChanges {
    static func apply(_ lines: [String], to config: inout ContainerConfig) throws {
        for line in lines {
            let trimmed = line.trimmingWhitespace
            guard !trimmed.isEmpty else { continue }
            let instruction = String(trimmed.prefix { $0 != " " && $0 != "\t" })
            let rest = String(trimmed.dropFirst(instruction.count)).trimmingWhitespace
            switch instruction.uppercased() {
            case "CMD": config.Cmd = try command(rest)
            case "ENTRYPOINT": config.Entrypoint = try command(rest)
            case "ENV":
                for (key, value) in try pairs(rest, instruction: "ENV") {
                    var env = config.Env ?? []
                    env.removeAll { $0.hasPrefix(key + "=") }
                    env.append("\(key)=\(value)")
                    config.Env = env
                }
            case "LABEL":
                for (key, value) in try pairs(rest, instruction: "LABEL") { config.Labels = (config.Labels ?? [:]).merging([key: value]) { $1 } }
            case "EXPOSE":
                for port in try words(rest) {
                    let spec = port.contains("/") ? port.lowercased() : port + "/tcp"
                    config.ExposedPorts = (config.ExposedPorts ?? [:]).merging([spec: .init()]) { $1 }
                }
            case "VOLUME":
                for volume in try list(rest) { config.Volumes = (config.Volumes ?? [:]).merging([volume: .init()]) { $1 } }
            case "USER": config.User = try single(rest, "USER")
            case "WORKDIR":
                let directory = try single(rest, "WORKDIR")
                config.WorkingDir = directory.hasPrefix("/") || config.WorkingDir.isEmpty
                    ? (directory.hasPrefix("/") ? directory : "/" + directory) : config.WorkingDir + "/" + directory
            case "STOPSIGNAL": config.StopSignal = try single(rest, "STOPSIGNAL")
            case "ONBUILD": config.OnBuild = (config.OnBuild ?? []) + [rest]
            default:
                throw APIError.invalidParameter("\(instruction.lowercased()) is not a valid change command")
            }
        }
    }

    /// The JSON form (`["sh","-c","x"]`), or the shell form run by `/bin/sh -c`.
    private static func command(_ text: String) throws -> [String] {
        if text.hasPrefix("["), let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) { return list }
        guard !text.isEmpty else { throw APIError.invalidParameter("missing command") }
        return ["/bin/sh", "-c", text]
    }

    /// A JSON list, or words.
    private static func list(_ text: String) throws -> [String] {
        if text.hasPrefix("["), let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) { return list }
        return try words(text)
    }

    private static func single(_ text: String, _ instruction: String) throws -> String {
        guard !text.isEmpty else { throw APIError.invalidParameter("\(instruction) requires exactly one argument") }
        return text
    }

    /// `key=value` pairs (values may be quoted), or the legacy `key value` with one pair.
    private static func pairs(_ text: String, instruction: String) throws -> [(String, String)] {
        let parts = try words(text)
        guard !parts.isEmpty else { throw APIError.invalidParameter("\(instruction) requires at least one argument") }
        if !parts[0].contains("=") {
            guard parts.count >= 2 else { throw APIError.invalidParameter("\(instruction) names must be followed by a value") }
            return [(parts[0], parts.dropFirst().joined(separator: " "))]
        }
        return try parts.map { part in
            guard let eq = part.firstIndex(of: "="), eq != part.startIndex else {
                throw APIError.invalidParameter("\(instruction) names can not be blank: \(part)")
            }
            return (String(part[..<eq]), String(part[part.index(after: eq)...]))
        }
    }

    /// Splits on spaces outside quotes; quotes are removed and `\` escapes the next character.
    private static func words(_ text: String) throws -> [String] {
        var result: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped {
                current.append(c)
                escaped = false
                continue
            }
            if c == "\\" && quote != "'" {
                escaped = true
                inWord = true
                continue
            }
            if let open = quote {
                if c == open { quote = nil } else { current.append(c) }
                continue
            }
            if c == "\"" || c == "'" {
                quote = c
                inWord = true
            } else if c == " " || c == "\t" {
                if inWord { result.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(c)
                inWord = true
            }
        }
        guard quote == nil else { throw APIError.invalidParameter("unmatched quote in \(text)") }
        if inWord { result.append(current) }
        return result
    }
}
