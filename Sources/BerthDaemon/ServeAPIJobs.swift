import BerthCore
import BerthEngine
import BerthLogging
import BerthServer
import BerthTransport

/// `serveapi` and `acceptconnections`, as in dockerd: `serveapi PROTO://ADDR…` binds every
/// listener first (any failure ends it), then serves them all behind the activation gate;
/// `acceptconnections` opens the gate once the daemon is initialised.
struct ServeAPIJobs: Sendable {
    let service: Service
    let gate: ActivationGate
    let shutdown: ActivationGate
    let connections: ConnectionRegistry
    let serverConfiguration: ServerConfiguration
    let listenerOptions: Listener.Options
    let notifier: SystemdNotifier?
    /// `tcp://` addresses served without TLS on purpose, to warn about.
    let insecureTCP: [ListenAddress]
    let logger: Logger
    /// Told the bound listeners, before accepting starts.
    let onListening: @Sendable ([Listener]) -> Void

    static let usage = "usage: serveapi PROTO://ADDR [PROTO://ADDR ...]"

    func register(on engine: Engine) async {
        await engine.register("serveapi") { job in try await serve(job.args) }
        await engine.register("acceptconnections") { _ in
            gate.open()
            notifier?.notify("READY=1")
        }
    }

    private func serve(_ hosts: [String]) async throws {
        guard !hosts.isEmpty else { throw APIError.invalidParameter(Self.usage) }
        var addresses: [ListenAddress] = []
        for host in hosts {
            do { addresses.append(try ListenAddress(parsing: host, defaultTCPPort: listenerOptions.tcpHandshake == nil ? 2375 : 2376)) }
            catch { throw APIError.invalidParameter(error.description) }
        }
        var listeners: [Listener] = []
        for address in addresses {
            do {
                listeners += try await Listener.bindAll(address, options: listenerOptions)
            } catch {
                for listener in listeners { await listener.close() }
                throw ServeAPIError(message: "failed to load listeners: \(error)")
            }
        }
        for address in addresses where insecureTCP.contains(address) {
            logger.warning("Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network.", [("host", "\(address)")])
            logger.warning("Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!", [("host", "\(address)")])
        }
        for listener in listeners { logger.info("API listen on \(listener.displayAddress)") }
        onListening(listeners)
        let server = Server(listeners: listeners, service: service, configuration: serverConfiguration, gate: gate, shutdown: shutdown,
                            connections: connections)
        try await server.run()
    }
}

/// A listener could not be set up; the daemon exits 1 with this message.
struct ServeAPIError: KindedError, CustomStringConvertible {
    let message: String
    var kind: ErrorKind { .system }
    var description: String { message }
}
