import BerthLogging
import BerthTransport

/// Everything `berthd` is configured with, after defaults, `daemon.json` and flags are merged.
public struct DaemonConfiguration: Sendable {
    public var hosts: [ListenAddress] = []
    /// The `-H` values as given (for logs and `/info`).
    public var hostTexts: [String] = []
    public var group = "docker"
    /// Whether `--group`/`group` was given explicitly (a missing explicit group is fatal).
    public var groupExplicit = false
    public var debug = false
    public var logLevel: LogLevel = .info
    public var logFormat: LogSink.Format = .text
    /// Where `/metrics` is served (`--metrics-addr host:port`), if anywhere.
    public var metricsAddress: ListenAddress?
    /// The command line, kept to re-read the configuration on reload.
    public var arguments: [String] = []
    public var apiCorsHeader = ""
    public var pidfile = ""
    public var dataRoot = ""
    public var execRoot = ""
    /// `--storage-driver`: nil picks overlay2 where it works, else vfs.
    public var storageDriver: String?
    /// The configuration file that was read, if any.
    public var configFile: String?
    public var shutdownTimeout: Duration = .seconds(15)
    /// The executable containers' init runs from (copied into a sealed memfd at start): the
    /// daemon's own binary; tests running the daemon in-process name the built `berthd`.
    public var initBinaryPath = "/proc/self/exe"
    public var labels: [String] = []
    /// From the first byte of a request until its head is complete.
    public var headerReadTimeout: Duration = .seconds(10)
    /// How long a keep-alive connection may sit idle.
    public var idleTimeout: Duration = .seconds(120)
    public var tls = false
    /// Whether `--tls`/`tls` was given (so `--tls=false` is a deliberate choice).
    public var tlsExplicit = false
    public var tlsVerify = false
    public var tlsCACert = ""
    public var tlsCert = ""
    public var tlsKey = ""
    /// `tcp://` listeners served without TLS, deliberately (`--tls=false`).
    public var insecureTCP: [ListenAddress] = []
    /// Things worth a warning in the log at start-up (ignored keys, insecure choices).
    public var warnings: [String] = []
    /// Warnings `/info` reports to clients (`docker info` prints them).
    public var apiWarnings: [String] = []
    /// `--validate`: check the configuration and exit.
    public var validateOnly = false
    public var showVersion = false
    public var showHelp = false

    public init() {}

    /// TLS serves the `tcp://` listeners: `--tls`, implied by `--tlsverify`.
    public var tlsEnabled: Bool { tls || tlsVerify }

    /// Defaults for a process running as root or not, from the environment.
    static func defaults(isRoot: Bool, environment: [String: String]) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        let home = environment["HOME"] ?? "/root"
        if isRoot {
            configuration.hostTexts = ["unix:///var/run/berthd.sock"]
            configuration.dataRoot = "/var/lib/berth"
            configuration.execRoot = "/var/run/berth"
            configuration.pidfile = "/var/run/berthd.pid"
        } else {
            let runtime = environment["XDG_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            configuration.hostTexts = runtime.map { ["unix://\($0)/berthd.sock"] } ?? []
            configuration.execRoot = runtime.map { "\($0)/berth" } ?? ""
            configuration.pidfile = runtime.map { "\($0)/berthd.pid" } ?? ""
            configuration.dataRoot = (environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.local/share") + "/berth"
        }
        let tlsDirectory = (environment["DOCKER_CERT_PATH"].flatMap { $0.isEmpty ? nil : $0 }) ?? "\(home)/.docker"
        configuration.tlsCACert = "\(tlsDirectory)/ca.pem"
        configuration.tlsCert = "\(tlsDirectory)/cert.pem"
        configuration.tlsKey = "\(tlsDirectory)/key.pem"
        return configuration
    }

    /// The default `--config-file`.
    static func defaultConfigFile(isRoot: Bool, environment: [String: String]) -> String {
        if isRoot { return "/etc/berth/daemon.json" }
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(environment["HOME"] ?? "/root")/.config"
        return base + "/berth/daemon.json"
    }
}
