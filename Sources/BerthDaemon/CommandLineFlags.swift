import BerthTransport

/// The flags given on the command line, parsed the way dockerd's flag library does: `--name=value`,
/// `--name value`, `-H value`, `-Hvalue`, boolean `--debug` and `--debug=false`, repeatable lists.
struct CommandLineFlags: Sendable {
    /// Values of the flags that were given, by long name.
    private(set) var values: [String: OptionValue] = [:]

    subscript(long: String) -> OptionValue? { values[long] }

    func isSet(_ long: String) -> Bool { values[long] != nil }

    static func parse(_ arguments: [String]) throws(ConfigurationError) -> CommandLineFlags {
        var flags = CommandLineFlags()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            let option: ConfigurationOption
            var inline: String?
            var usedShort = false
            if argument.hasPrefix("--"), argument.count > 2 {
                let body = argument.dropFirst(2)
                let name: Substring
                if let eq = body.firstIndex(of: "=") {
                    name = body[..<eq]
                    inline = String(body[body.index(after: eq)...])
                } else {
                    name = body
                }
                guard let found = ConfigurationOption.named(long: String(name)) else {
                    throw usage("unknown flag: --\(name)")
                }
                option = found
            } else if argument.hasPrefix("-"), argument.count > 1, !argument.hasPrefix("--") {
                let letter = argument[argument.index(after: argument.startIndex)]
                guard let found = ConfigurationOption.named(short: letter) else {
                    throw usage("unknown shorthand flag: '\(letter)' in \(argument)")
                }
                option = found
                usedShort = true
                let rest = argument.dropFirst(2)
                if !rest.isEmpty { inline = String(rest.hasPrefix("=") ? rest.dropFirst() : rest) }
            } else {
                throw usage("\"berthd\" accepts no arguments.")
            }
            let text: String
            if option.kind == .bool {
                text = inline ?? "true"
            } else if let inline {
                text = inline
            } else {
                guard index < arguments.count else {
                    throw usage(usedShort ? "flag needs an argument: '\(option.short!)' in -\(option.short!)"  // usedShort means it has one
                                          : "flag needs an argument: --\(option.long)")
                }
                text = arguments[index]
                index += 1
            }
            try flags.set(option, text)
        }
        return flags
    }

    private mutating func set(_ option: ConfigurationOption, _ text: String) throws(ConfigurationError) {
        func invalid(_ reason: String) -> ConfigurationError {
            Self.usage("invalid argument \"\(text)\" for \"\(option.displayName)\" flag: \(reason)")
        }
        switch option.kind {
        case .bool:
            guard let value = Self.parseBool(text) else { throw invalid("strconv.ParseBool: parsing \"\(text)\": invalid syntax") }
            values[option.long] = .bool(value)
        case .int:
            guard let value = Int(text) else { throw invalid("strconv.ParseInt: parsing \"\(text)\": invalid syntax") }
            values[option.long] = .int(value)
        case .string:
            values[option.long] = .string(text)
        case .list:
            if option.long == "host" {
                do { _ = try ListenAddress(parsing: text) } catch { throw invalid(error.description) }
            }
            values[option.long] = .list((values[option.long]?.list ?? []) + [text])
        }
    }

    /// Go's strconv.ParseBool.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "true", "TRUE", "True": true
        case "0", "f", "F", "false", "FALSE", "False": false
        default: nil
        }
    }

    /// A flag error in the form dockerd prints (`Status: …`, exit status 1).
    static func usage(_ message: String) -> ConfigurationError {
        ConfigurationError("Status: \(message)\nSee 'berthd --help'., Code: 125")
    }

    /// The `--help` text.
    static var helpText: String {
        var text = "Usage:\tberthd [OPTIONS]\n\nA self-sufficient runtime for containers, speaking the Docker Engine API.\n\nOptions:\n"
        for option in ConfigurationOption.all {
            let names = option.short.map { "  -\($0), --\(option.long)" } ?? "      --\(option.long)"
            let argument = switch option.kind {
            case .bool: ""
            case .int: " int"
            case .string: " string"
            case .list: " list"
            }
            let left = names + argument
            text += left + String(repeating: " ", count: max(1, 32 - left.count)) + option.usage + "\n"
        }
        return text
    }
}
