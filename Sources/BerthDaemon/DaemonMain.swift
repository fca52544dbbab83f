import BerthSync
import BerthLogging
import BerthServer
import BerthTLS
import BerthTransport
import Dispatch
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension Daemon {
    /// The `berthd` process: configuration, pidfile, signals, run, clean exit. Runs on the main
    /// thread, so the start-up file reads happen before any task and off the cooperative pool.
    @MainActor
    public static func main(arguments: [String]) async -> Never {
        let configuration: DaemonConfiguration
        do {
            configuration = try ConfigurationLoader.load(arguments: arguments, environment: ProcessInfo.processInfo.environment,
                                                         isRoot: getuid() == 0)
        } catch {
            StandardError.write(error.message + "\n")
            exit(1)
        }
        if configuration.showHelp {
            print(CommandLineFlags.helpText, terminator: "")
            exit(0)
        }
        if configuration.showVersion {
            print("Berth version \(BerthVersion.version), build \(BerthVersion.gitCommit)")
            exit(0)
        }
        if configuration.validateOnly {
            print("configuration OK")
            exit(0)
        }

        let logger = Logger()
        raiseOpenFileLimit()
        LogSink.shared.level = configuration.logLevel
        LogSink.shared.format = configuration.logFormat
        for warning in configuration.warnings { logger.warning(warning) }
        if let file = configuration.configFile { logger.info("configuration read from \(file)") }
        let engineID: String
        do {
            try Directories.create(configuration.dataRoot)
            try Directories.create(configuration.execRoot, mode: 0o700)
            try PidFile.create(at: configuration.pidfile)
            engineID = try EngineID.loadOrCreate(dataRoot: configuration.dataRoot)
        } catch {
            StandardError.write(error.message + "\n")
            exit(1)
        }

        let options: Listener.Options
        do {
            options = try listenerOptions(configuration, logger: logger)
        } catch {
            logger.error("\(error)")
            LogSink.shared.flush()
            StandardError.write("\(error)\n")
            PidFile.remove(at: configuration.pidfile)
            exit(1)
        }
        let daemon = Daemon(configuration: configuration, facts: SystemFacts.gather(), engineID: engineID, logger: logger,
                            listenerOptions: options, notifier: SystemdNotifier(environment: ProcessInfo.processInfo.environment))
        let stop = ActivationGate()
        let signals = SignalHandling(logger: logger, onShutdown: { stop.open() }, onReload: {
            Task { await daemon.reload(environment: ProcessInfo.processInfo.environment, isRoot: getuid() == 0) }
        }, onDump: {
            Task {
                do { _ = try await daemon.dumpState() } catch { logger.error("could not write the state dump: \(error)") }
            }
        })
        let ending = await daemon.runUntilStopped(stop)
        signals.stop()
        PidFile.remove(at: configuration.pidfile)
        if case .failed(let error) = ending {
            logger.error("\(error)")
            LogSink.shared.flush()
            StandardError.write("\(error)\n")
            exit(1)
        }
        logger.info("Daemon shutdown complete")
        LogSink.shared.flush()
        exit(0)
    }
}

extension Daemon {
    /// What the listeners need beyond their addresses: the TLS context for `tcp://` (loaded now,
    /// so bad files stop the start), the socket group, and systemd's sockets for `fd://`.
    static func listenerOptions(_ configuration: DaemonConfiguration, logger: Logger) throws -> Listener.Options {
        var options = Listener.Options()
        if configuration.tlsEnabled {
            let context = try TLSContext(certificate: configuration.tlsCert, key: configuration.tlsKey, ca: configuration.tlsCACert)
            let timeout = configuration.headerReadTimeout
            options.tcpHandshake = { socket in try await TLSChannel.accept(socket, context: context, timeout: timeout) }
        }
        let unixPaths = configuration.hosts.compactMap { if case .unix(let path) = $0 { path } else { nil } }
        if !unixPaths.isEmpty {
            if let gid = UnixGroup.id(named: configuration.group) {
                options.unixGroup = gid
            } else if configuration.groupExplicit {
                throw ConfigurationError("failed to load listeners: group \(configuration.group) not found")
            } else {
                for path in unixPaths {
                    logger.warning("could not change group \(path) to \(configuration.group): group \(configuration.group) not found")
                }
            }
        }
        if configuration.hosts.contains(where: { if case .fd = $0 { true } else { false } }) {
            options.activated = try SystemdActivation.takeSockets(environment: ProcessInfo.processInfo.environment)
        }
        return options
    }
}

/// SIGINT and SIGTERM start a graceful shutdown; a third one forces the process out. SIGHUP
/// reloads the configuration, SIGUSR1 dumps the daemon's state. Signals are received by Dispatch
/// sources, never by a thread of the cooperative pool. SIGPIPE is ignored.
final class SignalHandling {
    private let sources: [any DispatchSourceSignal]

    init(logger: Logger, onShutdown: @escaping @Sendable () -> Void, onReload: @escaping @Sendable () -> Void,
         onDump: @escaping @Sendable () -> Void) {
        signal(SIGPIPE, SIG_IGN)
        let count = Locked(0)
        let others = [(SIGHUP, onReload), (SIGUSR1, onDump)].map { number, action -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { action() }
            source.resume()
            return source
        }
        sources = others + [(SIGINT, "interrupt"), (SIGTERM, "terminated")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                // Dispatch coalesces signals that arrive together; `data` says how many.
                let arrived = max(1, Int(source.data))
                let seen = count.withLock { n -> Int in
                    n += arrived
                    return n
                }
                logger.info("Processing signal '\(name)'")
                if seen >= 3 {
                    logger.error("Force shutdown daemon: received signal '\(name)' three times")
                    LogSink.shared.flush()
                    _exit(128 + number)
                }
                if seen == arrived { onShutdown() }
            }
            source.resume()
            return source
        }
    }

    func stop() {
        sources.forEach { $0.cancel() }
    }
}

/// Raises the soft limit on open files to the hard limit, as Go's runtime does for dockerd: every
/// connection is a descriptor.
func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// Unbuffered writes to standard error for start-up failures, before exiting.
enum StandardError {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
}
