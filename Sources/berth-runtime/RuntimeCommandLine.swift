/// runc's command line, as containerd's shim (go-runc) and people type it: global options, a
/// command, the command's options, then its arguments. `--name value`, `--name=value` and the
/// one-letter forms are accepted, as urfave/cli accepts them.
struct RuntimeCommandLine: Equatable {
    /// Where containers' state lives (`--root`, default `/run/berth-runtime`).
    var root = "/run/berth-runtime"
    /// Where errors are written as well as to stderr (`--log`), and in which format.
    var log: String?
    var logFormat = "text"
    var debug = false
    var command: String
    /// The command's options, by long name, with `true` for a flag that takes no value.
    var options: [String: String] = [:]
    var arguments: [String] = []

    struct UsageError: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    // The tables are switches and arrays, not dictionaries and sets: in a process that lives a
    // few milliseconds, each new generic type costs a metadata look-up of its own.

    /// Options of `command` ("" for the global ones) that take a value; the others are flags.
    private static func valued(_ command: String) -> [String] {
        switch command {
        case "": ["root", "log", "log-format", "criu", "rootless"]
        case "create", "run": ["bundle", "pid-file", "console-socket", "preserve-fds"]
        case "exec": ["process", "pid-file", "console-socket", "cwd", "env", "user", "cap", "preserve-fds", "process-label",
                      "apparmor", "additional-gids"]
        case "ps", "list": ["format"]
        case "update": ["resources", "memory", "memory-swap", "pids-limit", "cpu-shares", "cpu-quota", "cpu-period", "cpuset-cpus",
                        "cpuset-mems", "blkio-weight"]
        case "events": ["interval"]
        case "spec": ["bundle"]
        default: []
        }
    }

    /// The long name of a one-letter option of `command`.
    private static func long(_ letter: String, in command: String) -> String? {
        switch (command, letter) {
        case ("create", "b"), ("run", "b"), ("spec", "b"): "bundle"
        case ("run", "d"), ("exec", "d"): "detach"
        case ("kill", "a"): "all"
        case ("delete", "f"): "force"
        case ("exec", "p"): "process"
        case ("exec", "t"): "tty"
        case ("exec", "e"): "env"
        case ("exec", "u"): "user"
        case ("exec", "c"): "cap"
        case ("ps", "f"), ("list", "f"): "format"
        case ("list", "q"): "quiet"
        case ("update", "r"): "resources"
        default: nil
        }
    }

    static let commands = ["create", "start", "run", "state", "kill", "delete", "exec", "pause", "resume", "ps",
                           "list", "features", "update", "events", "spec", "help"]

    init(command: String) {
        self.command = command
    }

    /// Parses `arguments` (without the program name).
    static func parse(_ arguments: [String]) throws(UsageError) -> RuntimeCommandLine {
        var line = RuntimeCommandLine(command: "")
        var index = 0
        // Global options, up to the command.
        while index < arguments.count, arguments[index].hasPrefix("-") {
            let argument = arguments[index]
            if argument == "--version" || argument == "-v" {
                line.command = "version"
                return line
            }
            if argument == "--help" || argument == "-h" {
                line.command = "help"
                return line
            }
            let (name, inline) = split(argument)
            if valued("").contains(name) {
                guard let value = inline ?? arguments[safe: index + 1] else { throw UsageError(description: "flag needs an argument: --\(name)") }
                if inline == nil { index += 1 }
                switch name {
                case "root": line.root = value
                case "log": line.log = value
                case "log-format": line.logFormat = value
                default: break  // accepted and unused: criu, rootless
                }
            } else {
                switch name {
                case "debug": line.debug = true
                case "systemd-cgroup": line.options["systemd-cgroup"] = "true"
                default: throw UsageError(description: "flag provided but not defined: -\(name)")
                }
            }
            index += 1
        }
        guard index < arguments.count else { throw UsageError(description: "no command given: try berth-runtime --help") }
        line.command = arguments[index]
        guard commands.contains(line.command) else {
            throw UsageError(description: "No help topic for '\(line.command)'")
        }
        index += 1
        // The command's options, up to the first argument; `--` ends them.
        let valuedHere = valued(line.command)
        while index < arguments.count, arguments[index].hasPrefix("-"), arguments[index] != "-" {
            let argument = arguments[index]
            index += 1
            if argument == "--" { break }
            var (name, inline) = split(argument)
            if !argument.hasPrefix("--"), name.utf8.count == 1, let long = long(name, in: line.command) { name = long }
            if valuedHere.contains(name) {
                guard let value = inline ?? arguments[safe: index] else { throw UsageError(description: "flag needs an argument: --\(name)") }
                if inline == nil { index += 1 }
                // Repeatable options (`--env`) collect as lines.
                line.options[name] = line.options[name].map { $0 + "\n" + value } ?? value
            } else {
                line.options[name] = inline ?? "true"
            }
        }
        line.arguments = Array(arguments[index...])
        return line
    }

    /// `--name=value` → ("name", "value"); `-x` → ("x", nil).
    private static func split(_ argument: String) -> (String, String?) {
        let trimmed = argument.drop { $0 == "-" }
        guard let equals = trimmed.firstIndex(of: "=") else { return (String(trimmed), nil) }
        return (String(trimmed[..<equals]), String(trimmed[trimmed.index(after: equals)...]))
    }

    /// Whether a flag is set (`--detach`, `--detach=true`).
    func flag(_ name: String) -> Bool {
        options[name].map { $0 == "true" || $0 == "1" } ?? false
    }

    /// The container ID, the first argument.
    func containerID() throws(UsageError) -> String {
        guard let id = arguments.first, !id.isEmpty else {
            throw UsageError(description: "\"\(command)\" requires a container id")
        }
        return id
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
