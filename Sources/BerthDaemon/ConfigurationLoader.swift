import BerthCore
import BerthLogging
import BerthTransport
#if canImport(Glibc)
import Glibc
#endif

/// Builds the daemon's configuration from defaults, `daemon.json` and flags, with dockerd's rules
/// and messages: a key given both ways is a conflict even when the values agree;
/// unknown keys and wrong types are refused; an explicit `--config-file` must exist.
///
/// Synchronous, and it reads a file: it runs on the main thread at start-up, and through
/// `BlockingPool.shared` when a `SIGHUP` reloads the configuration.
public enum ConfigurationLoader {
    public static func load(arguments: [String], environment: [String: String], isRoot: Bool) throws(ConfigurationError) -> DaemonConfiguration {
        let flags = try CommandLineFlags.parse(arguments)
        var configuration = DaemonConfiguration.defaults(isRoot: isRoot, environment: environment)
        configuration.arguments = arguments
        configuration.showHelp = flags["help"]?.bool ?? false
        configuration.showVersion = flags["version"]?.bool ?? false
        configuration.validateOnly = flags["validate"]?.bool ?? false
        if configuration.showHelp || configuration.showVersion { return configuration }

        let explicitFile = flags["config-file"]?.string
        let path = explicitFile ?? DaemonConfiguration.defaultConfigFile(isRoot: isRoot, environment: environment)
        var fileValues: [String: OptionValue] = [:]
        if let bytes = try readFile(path, explicit: explicitFile != nil) {
            configuration.configFile = path
            fileValues = try parseFile(bytes, path: path, flags: flags, warnings: &configuration.warnings)
        }

        func value(_ option: String) -> OptionValue? {
            if let flag = flags[option] { return flag }
            guard let key = ConfigurationOption.named(long: option)?.key else { return nil }
            return fileValues[key]
        }
        if let hosts = value("host")?.list { configuration.hostTexts = hosts }
        if let group = value("group")?.string { configuration.group = group; configuration.groupExplicit = true }
        if let debug = value("debug")?.bool { configuration.debug = debug }
        if let level = value("log-level")?.string {
            guard let parsed = LogLevel(name: level) else { throw ConfigurationError("Unable to parse logging level: \(level)") }
            configuration.logLevel = parsed
        }
        if configuration.debug { configuration.logLevel = .debug }
        if let format = value("log-format")?.string {
            guard let parsed = LogSink.Format(rawValue: format) else {
                throw ConfigurationError("unsupported log format: \(format): use text or json")
            }
            configuration.logFormat = parsed
        }
        if let metrics = value("metrics-addr")?.string, !metrics.isEmpty {
            guard case .tcp(let host, let port)? = try? ListenAddress(parsing: "tcp://" + metrics), metrics.contains(":") else {
                throw ConfigurationError("invalid metrics-addr \(metrics): use host:port")
            }
            configuration.metricsAddress = .tcp(host: host, port: port)
        }
        if let cors = value("api-cors-header")?.string { configuration.apiCorsHeader = cors }
        if let pidfile = value("pidfile")?.string { configuration.pidfile = pidfile }
        if let dataRoot = value("data-root")?.string { configuration.dataRoot = dataRoot }
        if let execRoot = value("exec-root")?.string { configuration.execRoot = execRoot }
        if let driver = value("storage-driver")?.string, !driver.isEmpty {
            guard ["overlay2", "vfs"].contains(driver) else {
                throw ConfigurationError("error initializing graphdriver: driver not supported: \(driver) (berthd has overlay2 and vfs)")
            }
            configuration.storageDriver = driver
        }
        if let timeout = value("shutdown-timeout")?.int {
            guard timeout >= 0 else { throw ConfigurationError("invalid shutdown-timeout \(timeout): it must not be negative") }
            configuration.shutdownTimeout = .seconds(timeout)
        }
        for (option, keyPath) in [("header-read-timeout", \DaemonConfiguration.headerReadTimeout), ("idle-timeout", \.idleTimeout)] {
            guard let seconds = value(option)?.int else { continue }
            guard seconds > 0 else { throw ConfigurationError("invalid \(option) \(seconds): it must be a positive number of seconds") }
            configuration[keyPath: keyPath] = .seconds(seconds)
        }
        if let labels = value("label")?.list {
            for label in labels where !label.contains("=") {
                throw ConfigurationError("bad attribute format: \(label): labels are key=value")
            }
            configuration.labels = labels
        }
        if let tls = value("tls")?.bool { configuration.tls = tls; configuration.tlsExplicit = true }
        if let verify = value("tlsverify")?.bool { configuration.tlsVerify = verify }
        for (option, keyPath) in [("tlscacert", \DaemonConfiguration.tlsCACert), ("tlscert", \.tlsCert), ("tlskey", \.tlsKey)] {
            guard let text = value(option)?.string else { continue }
            guard !text.isEmpty else { throw ConfigurationError("--\(option) must not be empty: give the path of a PEM file") }
            configuration[keyPath: keyPath] = text
        }

        if configuration.hostTexts.isEmpty {
            throw ConfigurationError("XDG_RUNTIME_DIR is not set: run berthd as root, set XDG_RUNTIME_DIR, or give -H, --exec-root and --pidfile")
        }
        if configuration.execRoot.isEmpty || configuration.pidfile.isEmpty {
            throw ConfigurationError("XDG_RUNTIME_DIR is not set: give --exec-root and --pidfile, or run berthd as root")
        }
        let defaultPort = configuration.tlsEnabled ? 2376 : ListenAddress.defaultTCPPort
        for text in configuration.hostTexts {
            do {
                configuration.hosts.append(try ListenAddress(parsing: text, defaultTCPPort: defaultPort))
            } catch {
                throw ConfigurationError("Invalid bind address format: \(text)")
            }
        }
        try checkTCPSecurity(&configuration)
        return configuration
    }

    /// A `tcp://` listener without TLS gives root to anyone who reaches it: refuse it unless
    /// `--tls=false` says so explicitly, and then warn as dockerd does.
    static func checkTCPSecurity(_ configuration: inout DaemonConfiguration) throws(ConfigurationError) {
        for host in configuration.hosts {
            guard case .tcp(let name, let port) = host else { continue }
            if configuration.tlsEnabled {
                if !configuration.tlsVerify {
                    configuration.apiWarnings.append("WARNING: API is accessible on https://\(name):\(port) without TLS client verification")
                }
                continue
            }
            guard configuration.tlsExplicit else {
                throw ConfigurationError("refusing to listen on \(host) without TLS: access to the API is root access on this host. "
                    + "Use --tlsverify with --tlscacert, --tlscert and --tlskey, or pass --tls=false to accept the risk")
            }
            configuration.insecureTCP.append(host)
            configuration.apiWarnings.append("""
                WARNING: API is accessible on http://\(name):\(port) without encryption.
                         Access to the remote API is equivalent to root access on the host. Refer
                         to the 'Docker daemon attack surface' section in the documentation for
                         more information: https://docs.docker.com/go/attack-surface/
                """)
        }
    }

    /// The file's bytes; nil when a default file is absent.
    private static func readFile(_ path: String, explicit: Bool) throws(ConfigurationError) -> [UInt8]? {
        switch SmallFile.read(path) {
        case .success(let bytes):
            return bytes
        case .failure(let failure):
            if failure.operation == "open" && failure.code == ENOENT && !explicit { return nil }
            throw ConfigurationError("unable to configure the Docker daemon with file \(path): \(failure.operation) \(path): \(SocketError.text(for: failure.code))")
        }
    }

    /// Checks a `daemon.json` against the flags and returns its values by key.
    static func parseFile(_ bytes: [UInt8], path: String, flags: CommandLineFlags,
                          warnings: inout [String]) throws(ConfigurationError) -> [String: OptionValue] {
        func fail(_ message: String) -> ConfigurationError {
            ConfigurationError("unable to configure the Docker daemon with file \(path): \(message)")
        }
        // An empty file configures nothing, as with dockerd.
        if bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) { return [:] }
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            throw fail("invalid JSON: \(error)")
        }
        guard case .object(let object) = document else {
            throw fail("json: cannot unmarshal \(document.goTypeName) into Go value of type map[string]interface {}")
        }
        let unknown = object.keys.filter {
            ConfigurationOption.forKey($0) == nil && !ConfigurationOption.ignoredDockerdKeys.contains($0)
        }.sorted()
        if !unknown.isEmpty {
            throw fail("the following directives don't match any configuration option: \(unknown.joined(separator: ", "))")
        }
        var values: [String: OptionValue] = [:]
        var conflicts: [String] = []
        for key in object.keys.sorted() {
            guard let option = ConfigurationOption.forKey(key), let json = object[key] else {
                warnings.append("ignoring \(key) in \(path): berthd does not support it")
                continue
            }
            let value = try convert(json, for: option, fail: fail)
            values[key] = value
            if let flag = flags[option.long] {
                conflicts.append("\(key): (from flag: \(flag.goDescription), from file: \(value.goDescription))")
            }
        }
        if !conflicts.isEmpty {
            throw fail("the following directives are specified both as a flag and in the configuration file: \(conflicts.joined(separator: ", "))")
        }
        return values
    }

    private static func convert(_ json: JSONValue, for option: ConfigurationOption,
                                fail: (String) -> ConfigurationError) throws(ConfigurationError) -> OptionValue {
        func mismatch(_ found: JSONValue, _ goType: String) -> ConfigurationError {
            fail("json: cannot unmarshal \(found.goTypeName) into Go struct field Config.\(option.key ?? option.long) of type \(goType)")
        }
        switch (option.kind, json) {
        case (.bool, .bool(let b)): return .bool(b)
        case (.string, .string(let s)): return .string(s)
        case (.int, .number(let n)):
            guard n == n.rounded(), let int = Int(exactly: n) else { throw mismatch(json, "int") }
            return .int(int)
        case (.list, .array(let items)):
            var strings: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw mismatch(item, "string") }
                strings.append(s)
            }
            return .list(strings)
        default:
            throw mismatch(json, option.goType)
        }
    }
}
