import BerthEngine
import BerthHTTP
import BerthLogging
import BerthServer
import BerthTransport
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A running Berth daemon: an engine with the system and `serveapi` jobs registered, an event
/// bus, and an activation gate. `run()` starts `serveapi` (listeners bind at once), initialises,
/// then runs `acceptconnections`, which opens the gate. Cancelling `run()` stops it.
public final class Daemon: Sendable {
    public let configuration: DaemonConfiguration
    public let engine: Engine
    public let events = EventBus()
    public let gate = ActivationGate()
    private let facts: SystemFacts
    private let engineID: String
    private let logger: Logger
    private let initialize: @Sendable () async throws -> Void
    private let counts: @Sendable () async -> ObjectCounts
    private let listeners = Mutex<[Listener]>([])
    private let listening = ActivationGate()
    private let jobsRegistered = Mutex(false)

    /// - Parameters:
    ///   - initialize: brings the backends up; connections wait in the backlog until it returns.
    ///   - counts: the containers and images the backends hold.
    public init(configuration: DaemonConfiguration, facts: SystemFacts, engineID: String, logger: Logger = Logger(),
                initialize: @escaping @Sendable () async throws -> Void = {},
                counts: @escaping @Sendable () async -> ObjectCounts = { ObjectCounts() }) {
        self.configuration = configuration
        self.facts = facts
        self.engineID = engineID
        self.logger = logger
        self.engine = Engine(logger: logger)
        self.initialize = initialize
        self.counts = counts
    }

    /// The HTTP service: routes and middleware composed once.
    public func makeService() -> Service {
        var router = Router()
        SystemRoutes.register(on: &router, engine: engine)
        var middleware: [any Middleware] = [LoggingMiddleware(logger: logger)]
        if !configuration.apiCorsHeader.isEmpty { middleware.append(CORSMiddleware(allowOrigin: configuration.apiCorsHeader)) }
        middleware += [
            APIVersionMiddleware(minimum: APIVersion(BerthVersion.minimumAPIVersion), maximum: APIVersion(BerthVersion.apiVersion),
                                 serverHeader: BerthVersion.serverHeader),
            ErrorMiddleware(),
        ]
        return Service(router: router, middleware: middleware)
    }

    /// Registers the daemon's jobs with the engine (once; `run()` calls it). Tests call it to run
    /// jobs or the HTTP service without listeners.
    public func registerJobs() async {
        guard jobsRegistered.withLock({ registered in
            defer { registered = true }
            return !registered
        }) else { return }
        var serverConfiguration = ServerConfiguration()
        serverConfiguration.logger = logger
        await SystemJobs(configuration: configuration, facts: facts, engineID: engineID, events: events, counts: counts,
                         warnings: configuration.warnings).register(on: engine)
        await ServeAPIJobs(service: makeService(), gate: gate, serverConfiguration: serverConfiguration, logger: logger,
                           onListening: { [self] bound in
                               listeners.withLock { $0 = bound }
                               listening.open()
                           }).register(on: engine)
    }

    /// Serves until cancelled; throws if a listener cannot be bound or fails, or if
    /// initialisation fails.
    public func run() async throws {
        await registerJobs()
        let hosts = configuration.hosts.map(\.description)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { [engine, listening] in
                do {
                    try await engine.job("serveapi", hosts).run()
                } catch {
                    listening.fail(error)
                    throw error
                }
            }
            group.addTask { [engine, gate, initialize] in
                do {
                    try await initialize()
                } catch {
                    gate.fail(error)
                    throw error
                }
                try await engine.job("acceptconnections").run()
            }
            while try await group.next() != nil {}
        }
    }

    /// The listeners, once `serveapi` has bound them.
    public func waitUntilListening() async throws -> [Listener] {
        try await listening.wait()
        return listeners.withLock { $0 }
    }

    /// Stops the engine: refuses new jobs, waits for running ones up to the shutdown timeout,
    /// then runs the shutdown hooks.
    public func shutdownEngine() async {
        await engine.shutdown(timeout: configuration.shutdownTimeout)
    }
}
