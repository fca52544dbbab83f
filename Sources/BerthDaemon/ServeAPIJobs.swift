import BerthEngine
import BerthHTTP
import BerthLogging
import BerthServer
import BerthTransport

/// `serveapi` and `acceptconnections`, as in dockerd: `serveapi PROTO://ADDR…` binds every
/// listener first (any failure ends it), then serves them all behind the activation gate;
/// `acceptconnections` opens the gate once the daemon is initialised.
struct ServeAPIJobs: Sendable {
    let service: Service
    let gate: ActivationGate
    let drain: ActivationGate
    let serverConfiguration: ServerConfiguration
    let logger: Logger
    /// Told the bound listeners, before accepting starts.
    let onListening: @Sendable ([Listener]) -> Void

    static let usage = "usage: serveapi PROTO://ADDR [PROTO://ADDR ...]"

    func register(on engine: Engine) async {
        await engine.register("serveapi") { job in try await serve(job.args) }
        await engine.register("acceptconnections") { _ in gate.open() }
    }

    private func serve(_ hosts: [String]) async throws {
        guard !hosts.isEmpty else { throw APIError.invalidParameter(Self.usage) }
        var addresses: [ListenAddress] = []
        for host in hosts {
            do { addresses.append(try ListenAddress(parsing: host)) }
            catch { throw APIError.invalidParameter(error.description) }
        }
        var listeners: [Listener] = []
        for address in addresses {
            do {
                listeners.append(try await Listener.bind(address, logger: logger))
            } catch {
                for listener in listeners { await listener.close() }
                throw ServeAPIError(message: "failed to load listeners: \(error)")
            }
        }
        for listener in listeners { logger.info("API listen on \(listener.displayAddress)") }
        onListening(listeners)
        let server = Server(listeners: listeners, service: service, configuration: serverConfiguration, gate: gate, drain: drain)
        try await server.run()
    }
}

/// A listener could not be set up; the daemon exits 1 with this message.
struct ServeAPIError: StatusCarryingError, CustomStringConvertible {
    let message: String
    var status: HTTPStatus { .internalServerError }
    var description: String { message }
}
