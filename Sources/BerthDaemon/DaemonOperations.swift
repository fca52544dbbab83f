import BerthCore
import BerthEngine
import BerthLogging
import BerthServer
import BerthTransport
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

extension Daemon {
    /// Re-reads the configuration (`SIGHUP`): `debug`, `log-level`, `labels` and
    /// `api-cors-header` take effect at once; an invalid file is logged and changes nothing.
    /// Publishes a `daemon` `reload` event. Returns whether the new configuration was applied.
    @discardableResult
    public func reload(environment: [String: String], isRoot: Bool) async -> Bool {
        let arguments = configuration.arguments
        logger.info("Got signal to reload configuration, reloading from: \(configuration.configFile ?? "(no configuration file)")")
        let loaded: Result<DaemonConfiguration, ConfigurationError>
        do {
            loaded = .success(try await BlockingPool.shared.run {
                try ConfigurationLoader.load(arguments: arguments, environment: environment, isRoot: isRoot)
            })
        } catch let error as ConfigurationError {
            loaded = .failure(error)
        } catch {
            loaded = .failure(ConfigurationError("\(error)"))
        }
        switch loaded {
        case .failure(let error):
            logger.error(error.message)
            return false
        case .success(let new):
            var values = LiveSettings.Values(new)
            if new.debug { values.logLevel = .debug }
            settings.replace(with: values)
            LogSink.shared.level = values.logLevel
            for (name, changed) in [("hosts", new.hosts != configuration.hosts), ("data-root", new.dataRoot != configuration.dataRoot),
                                    ("exec-root", new.execRoot != configuration.execRoot)] where changed {
                logger.warning("\(name) cannot change on reload: restart berthd to apply it")
            }
            logger.info("Reloaded configuration: \(Self.effectiveConfigurationJSON(new, values))")
            await events.publish(type: "daemon", action: "reload", actorID: engineID, attributes: [
                "debug": String(values.debug), "labels": "[\(values.labels.joined(separator: " "))]",
                "log-level": values.logLevel.description, "api-cors-header": values.apiCorsHeader, "name": facts.hostname,
            ])
            return true
        }
    }

    /// The effective configuration as dockerd logs it on reload (false booleans left out).
    static func effectiveConfigurationJSON(_ configuration: DaemonConfiguration, _ values: LiveSettings.Values) -> String {
        struct Effective: Encodable {
            let hosts: [String]
            let group: String
            let debug: Bool?
            let logLevel: String
            let labels: [String]
            let apiCorsHeader: String
            let pidfile: String
            let dataRoot: String
            let execRoot: String
            let shutdownTimeout: Int
            let tls: Bool?
            let tlsverify: Bool?

            enum CodingKeys: String, CodingKey {
                case hosts, group, debug, labels, pidfile, tls, tlsverify
                case logLevel = "log-level", apiCorsHeader = "api-cors-header", dataRoot = "data-root"
                case execRoot = "exec-root", shutdownTimeout = "shutdown-timeout"
            }
        }
        let effective = Effective(
            hosts: configuration.hosts.map(\.description), group: configuration.group, debug: values.debug ? true : nil,
            logLevel: values.logLevel.description, labels: values.labels, apiCorsHeader: values.apiCorsHeader,
            pidfile: configuration.pidfile, dataRoot: configuration.dataRoot, execRoot: configuration.execRoot,
            shutdownTimeout: Int(configuration.shutdownTimeout.seconds), tls: configuration.tls ? true : nil,
            tlsverify: configuration.tlsVerify ? true : nil)
        return (try? JSONEncoder.goStyle(sortedKeys: true).encode(effective)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Writes the daemon's state (listeners, connections, running jobs, engine) to
    /// `<exec-root>/berthd-state-<UTC timestamp>.log` (`SIGUSR1`) and returns the path.
    public func dumpState() async throws -> String {
        let now = ContinuousClock.now
        let time = Timestamp.rfc3339(nanoseconds: Timestamp.nowNanoseconds())
        let stamp = String(time.prefix(19).filter { $0 != ":" }) + "Z"
        let path = "\(configuration.execRoot)/berthd-state-\(stamp).log"
        var text = "berthd \(BerthVersion.version) state at \(time)\n"
        text += "pid \(getpid()), up \((now - started).seconds) s, settings \(settings.current)\n\n"
        text += "listeners:\n"
        for listener in listeners.withLock({ $0 }) { text += "  \(listener.address) on \(listener.displayAddress)\n" }
        text += "\nconnections (\(connections.openCount) open, \(connections.acceptedCount) accepted):\n"
        for c in connections.snapshot {
            text += "  #\(c.id) \(c.peer) via \(c.listener): \(c.state) for \((now - c.stateSince).seconds) s, "
                + "open \((now - c.opened).seconds) s, in \(c.bytesIn) B, out \(c.bytesOut) B\n"
        }
        text += "\nrunning jobs:\n"
        for job in await engine.runningJobs { text += "  \(job.call) for \((now - job.started).seconds) s\n" }
        text += "\nengine: \(await engine.isShuttingDown ? "shutting down" : "running"), jobs by name:\n"
        for (name, stats) in await engine.jobStats.sorted(by: { $0.key < $1.key }) {
            text += "  \(name): \(stats.count) run, \(stats.errors) failed, max \(stats.maxDuration)\n"
        }
        text += "\nevents: \(await events.listenerCount) listeners\n"
        let bytes = Data(text.utf8)
        try await BlockingPool.shared.run {
            do {
                try Directories.write(path, bytes, mode: 0o600)
            } catch {
                throw ConfigurationError("cannot write \(path): \(ConfigurationError.reason(of: error))")
            }
        }
        logger.info("daemon state written to \(path)")
        return path
    }
}
