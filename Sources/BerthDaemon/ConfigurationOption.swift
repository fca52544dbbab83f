/// One daemon option: its flag names, its `daemon.json` key and its type, as dockerd has them.
struct ConfigurationOption: Sendable {
    enum Kind: Sendable { case bool, string, int, list }

    let long: String
    let short: Character?
    /// The `daemon.json` key, or nil for flags that have none (`--config-file`, `--validate`).
    let key: String?
    let kind: Kind
    let usage: String

    /// `-H, --host`, as dockerd names a flag in its messages.
    var displayName: String { short.map { "-\($0), --\(long)" } ?? "--\(long)" }

    /// The Go type name dockerd's JSON decoder reports for this option.
    var goType: String {
        switch kind {
        case .bool: "bool"
        case .string: "string"
        case .int: "int"
        case .list: "[]string"
        }
    }

    static let all: [ConfigurationOption] = [
        .init(long: "host", short: "H", key: "hosts", kind: .list, usage: "Daemon socket(s) to connect to"),
        .init(long: "group", short: "G", key: "group", kind: .string, usage: "Group for the unix socket (default \"docker\")"),
        .init(long: "debug", short: "D", key: "debug", kind: .bool, usage: "Enable debug mode"),
        .init(long: "log-level", short: "l", key: "log-level", kind: .string,
              usage: "Set the logging level (\"debug\"|\"info\"|\"warn\"|\"error\"|\"fatal\") (default \"info\")"),
        .init(long: "log-format", short: nil, key: "log-format", kind: .string,
              usage: "Set the logging format (\"text\"|\"json\") (default \"text\")"),
        .init(long: "metrics-addr", short: nil, key: "metrics-addr", kind: .string,
              usage: "Set default address and port to serve the metrics api on"),
        .init(long: "api-cors-header", short: nil, key: "api-cors-header", kind: .string,
              usage: "Set CORS headers in the Engine API"),
        .init(long: "pidfile", short: "p", key: "pidfile", kind: .string, usage: "Path to use for daemon PID file"),
        .init(long: "data-root", short: nil, key: "data-root", kind: .string, usage: "Root directory of persistent state"),
        .init(long: "exec-root", short: nil, key: "exec-root", kind: .string, usage: "Root directory for execution state files"),
        .init(long: "storage-driver", short: "s", key: "storage-driver", kind: .string,
              usage: "Storage driver to use (\"overlay2\"|\"vfs\"; default: overlay2 where the kernel and file system allow it)"),
        .init(long: "config-file", short: nil, key: nil, kind: .string, usage: "Daemon configuration file"),
        .init(long: "shutdown-timeout", short: nil, key: "shutdown-timeout", kind: .int,
              usage: "Set the default shutdown timeout in seconds (default 15)"),
        .init(long: "label", short: nil, key: "labels", kind: .list, usage: "Set key=value labels to the daemon"),
        .init(long: "header-read-timeout", short: nil, key: "header-read-timeout", kind: .int,
              usage: "Seconds a client may take to send a request head (default 10)"),
        .init(long: "idle-timeout", short: nil, key: "idle-timeout", kind: .int,
              usage: "Seconds a keep-alive connection may stay idle (default 120)"),
        .init(long: "tls", short: nil, key: "tls", kind: .bool, usage: "Use TLS; implied by --tlsverify"),
        .init(long: "tlsverify", short: nil, key: "tlsverify", kind: .bool, usage: "Use TLS and verify the remote"),
        .init(long: "tlscacert", short: nil, key: "tlscacert", kind: .string, usage: "Trust certs signed only by this CA"),
        .init(long: "tlscert", short: nil, key: "tlscert", kind: .string, usage: "Path to TLS certificate file"),
        .init(long: "tlskey", short: nil, key: "tlskey", kind: .string, usage: "Path to TLS key file"),
        .init(long: "validate", short: nil, key: nil, kind: .bool, usage: "Validate daemon configuration and exit"),
        .init(long: "version", short: "v", key: nil, kind: .bool, usage: "Print version information and quit"),
        .init(long: "help", short: "h", key: nil, kind: .bool, usage: "Print usage"),
    ]

    /// dockerd keys Berth accepts in `daemon.json` without acting on them (so an existing file
    /// keeps working); they are logged as ignored.
    static let ignoredDockerdKeys: Set<String> = [
        "bridge", "builder", "containerd", "containerd-namespace", "containerd-plugin-namespace",
        "default-address-pools", "default-cgroupns-mode", "default-ipc-mode", "default-runtime", "default-shm-size",
        "deprecated-key-path", "experimental", "icc", "ip", "ip-forward", "iptables", "ip6tables", "ipv6",
        "live-restore", "log-driver", "log-opts", "max-concurrent-downloads", "max-concurrent-uploads",
        "max-download-attempts", "mtu", "network-control-plane-mtu", "registry-mirrors", "insecure-registries",
        "resolv-conf", "runtimes", "storage-opts", "swarm-default-advertise-addr",
        "swarm-raft-election-tick", "swarm-raft-heartbeat-tick", "userland-proxy", "features", "dns",
        "dns-opts", "dns-search", "exec-opts", "selinux-enabled", "userns-remap", "cgroup-parent",
    ]

    static func named(long: String) -> ConfigurationOption? { all.first { $0.long == long } }
    static func named(short: Character) -> ConfigurationOption? { all.first { $0.short == short } }
    static func forKey(_ key: String) -> ConfigurationOption? { all.first { $0.key == key } }
}
