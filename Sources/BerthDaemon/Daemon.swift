import BerthAPI
import BerthContainers
import BerthRuntime
import BerthSync
import BerthEngine
import BerthImages
import BerthLogging
import BerthServer
import BerthTransport
import Dispatch
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
    /// Opened when a graceful shutdown begins.
    public let shuttingDown = ActivationGate()
    /// What a reload may change.
    public let settings: LiveSettings
    /// Every API connection, for shutdown, deadlines and the debug routes.
    public let connections = ConnectionRegistry()
    /// Request counts and durations.
    public let metrics = ServerMetrics()
    /// When the daemon was made.
    public let started = ContinuousClock.now
    /// The image store, once initialisation has opened it.
    let imagesBackend = DaemonImagesBackend()
    /// The containers, opened by initialisation after the image store.
    public let containers: ContainerService
    let facts: SystemFacts
    let engineID: String
    let logger: Logger
    private let initialize: @Sendable () async throws -> Void
    private let counts: @Sendable () async -> ObjectCounts
    let listeners = Locked<[Listener]>([])
    private let metricsListener = Locked<Listener?>(nil)
    private let listening = ActivationGate()
    private let jobsRegistered = Locked(false)
    private let routes: @Sendable (inout Router, Engine) -> Void
    private let listenerOptions: Listener.Options
    private let notifier: SystemdNotifier?

    /// - Parameters:
    ///   - initialize: brings the backends up; connections wait in the backlog until it returns.
    ///   - counts: the containers and images the backends hold.
    ///   - routes: adds the backends' routes to the API.
    ///   - listenerOptions: TLS for `tcp://`, the unix socket group, systemd's sockets.
    ///   - notifier: told `READY=1` when connections are accepted and `STOPPING=1` at shutdown.
    public init(configuration: DaemonConfiguration, facts: SystemFacts, engineID: String, logger: Logger = Logger(),
                listenerOptions: Listener.Options = Listener.Options(), notifier: SystemdNotifier? = nil,
                initialize: @escaping @Sendable () async throws -> Void = {},
                counts: @escaping @Sendable () async -> ObjectCounts = { ObjectCounts() },
                routes: @escaping @Sendable (inout Router, Engine) -> Void = { _, _ in }) {
        self.routes = routes
        self.listenerOptions = listenerOptions
        self.notifier = notifier
        self.configuration = configuration
        self.settings = LiveSettings(configuration)
        self.facts = facts
        self.engineID = engineID
        self.logger = logger
        self.engine = Engine(logger: logger)
        self.initialize = initialize
        self.counts = counts
        let events = events
        containers = ContainerService(dataRoot: configuration.dataRoot) { type, action, id, attributes in
            await events.publish(type: type, action: action, actorID: id, attributes: attributes)
        }
    }

    /// The HTTP service: the API's routers and middleware, composed once.
    public func makeService() -> Service {
        var router = Router()
        let routers: [any APIRouter] = [
            SystemRouter(backend: DaemonSystemBackend(engine: engine, images: imagesBackend, containers: containers)),
            DebugRouter(backend: DaemonDebugBackend(daemon: self)),
            ImagesRouter(backend: imagesBackend),
            ContainersRouter(backend: containers),
            VolumesRouter(backend: containers.volumes),
            ExecRouter(backend: containers),
        ]
        for api in routers { api.register(on: &router) }
        routes(&router, engine)
        let middleware: [any Middleware] = [
            MetricsMiddleware(metrics: metrics),
            LoggingMiddleware(logger: logger),
            CORSMiddleware(allowOrigin: { [settings] in settings.current.apiCorsHeader },
                           allowHeaders: DockerAPI.corsAllowHeaders, allowMethods: DockerAPI.corsAllowMethods),
            APIVersionMiddleware(DockerAPI.versionPolicy(server: BerthVersion.serverHeader)),
        ]
        return Service(router: router, middleware: middleware, notFound: DockerAPI.notFound)
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
        serverConfiguration.headerReadTimeout = configuration.headerReadTimeout
        serverConfiguration.idleTimeout = configuration.idleTimeout
        serverConfiguration.shutdownTimeout = configuration.shutdownTimeout
        let counts = counts
        let imagesBackend = imagesBackend
        let containers = containers
        let allCounts: @Sendable () async -> ObjectCounts = {
            var all = await counts()
            if let images = imagesBackend.current { all.images = await images.count }
            let held = await containers.counts()
            all.containers += held.total
            all.running += held.running
            all.paused += held.paused
            return all
        }
        await SystemJobs(configuration: configuration, facts: facts, engineID: engineID, events: events, counts: allCounts,
                         storage: { imagesBackend.current?.driver },
                         warnings: configuration.apiWarnings, settings: settings).register(on: engine)
        await ServeAPIJobs(service: makeService(), gate: gate, shutdown: shuttingDown, connections: connections,
                           serverConfiguration: serverConfiguration,
                           listenerOptions: listenerOptions, notifier: notifier, insecureTCP: configuration.insecureTCP, logger: logger,
                           onListening: { [weak self] bound in  // weak: the engine keeps this closure
                               self?.listeners.withLock { $0 = bound }
                               self?.listening.open()
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
            if let address = configuration.metricsAddress {
                let listener: Listener
                do {
                    listener = try await Listener.bind(address)
                } catch {
                    listening.fail(error)
                    throw ServeAPIError(message: "failed to start metrics server: \(error)")
                }
                metricsListener.withLock { $0 = listener }
                logger.info("metrics listen on \(listener.displayAddress)")
                let server = Server(listeners: [listener], service: makeMetricsService(), shutdown: shuttingDown)
                group.addTask { try await server.run() }
            }
            group.addTask { [self, engine, gate, shuttingDown, initialize] in
                // Initialisation gives way to a shutdown that starts before it is done.
                let initialised = try await withThrowingTaskGroup(of: Bool.self) { inner in
                    inner.addTask {
                        do {
                            try await self.openStores()
                            try await initialize()
                        } catch {
                            gate.fail(error)
                            throw error
                        }
                        return true
                    }
                    inner.addTask {
                        try? await shuttingDown.wait()
                        return false
                    }
                    let first = try await inner.next() ?? false
                    inner.cancelAll()
                    return first
                }
                if initialised { try await engine.job("acceptconnections").run() }
            }
            while try await group.next() != nil {}
        }
    }

    /// Opens the image store under the data root (initialisation: connections wait meanwhile).
    func openStores() async throws {
        let events = events
        let driver = configuration.storageDriver.flatMap(StorageDriver.init(rawValue:))
        let service = try await ImageService.open(
            dataRoot: configuration.dataRoot, driver: driver, version: BerthVersion.version,
            architecture: SystemJobs.goArch(facts.architecture)) { action, id, attributes in
                await events.publish(type: "image", action: action, actorID: id, attributes: attributes)
            }
        imagesBackend.open(service)
        logger.info("image store open", [("storage-driver", service.driver.rawValue), ("data-root", configuration.dataRoot)])
        let path = configuration.initBinaryPath
        let initBinary = try await BlockingPool.shared.run { () throws -> InitBinary in
            do {
                return try InitBinary(copying: path)
            } catch {
                throw ServeAPIError(message: "cannot make the containers' init from \(path): \(error)")
            }
        }
        try await containers.open(images: service, initBinary: initBinary)
    }

    /// The `/metrics` service: Prometheus text, no API middleware.
    func makeMetricsService() -> Service {
        var router = Router()
        router.add(.get, "/metrics", versioned: false) { [weak self] _, _ in
            guard let self else { return Service.plainNotFound }
            let text = PrometheusText.render(metrics: metrics.snapshot, openConnections: connections.openCount,
                                             accepted: connections.acceptedByListener, jobs: await engine.jobStats,
                                             logLinesDropped: logger.sink.droppedLines)
            return Response(status: .ok, headers: ["Content-Type": PrometheusText.contentType], body: .bytes(Array(text.utf8)))
        }
        return Service(router: router, middleware: [])
    }

    /// The `/metrics` listener, if `--metrics-addr` was given and it is bound.
    public var metricsPort: Int? { metricsListener.withLock { $0?.boundPort } }

    /// The listeners, once `serveapi` has bound them.
    public func waitUntilListening() async throws -> [Listener] {
        try await listening.wait()
        return listeners.withLock { $0 }
    }

    /// Starts a graceful shutdown (see `Server.beginShutdown`); initialisation still under way
    /// is abandoned.
    public func beginShutdown() {
        if !shuttingDown.isOpen { notifier?.notify("STOPPING=1") }
        shuttingDown.open()
    }

    /// How a stopped daemon ended.
    public enum Ending: Sendable {
        /// Everything finished within the shutdown timeout.
        case clean
        /// The shutdown timeout passed: what was left was cancelled.
        case timedOut
        /// A listener failed or initialisation failed.
        case failed(any Error)
    }

    /// Runs until `stop` opens, then shuts down in order: stop accepting, let requests in flight
    /// finish for up to the shutdown timeout, cancel what is left, shut the engine down. Returns
    /// even when a handler ignores cancellation, so the process can exit.
    public func runUntilStopped(_ stop: ActivationGate) async -> Ending {
        let running = Task { try await run() }
        let ending = OneShot<Ending>()
        Task {
            let result = await running.result
            switch result {
            case .success: ending.settle(.clean)
            case .failure(let error) where error is CancellationError: ending.settle(.clean)
            case .failure(let error): ending.settle(.failed(error))
            }
        }
        let timeout = configuration.shutdownTimeout
        let stopper = Task { [logger] in
            do { try await stop.wait() } catch { return }
            beginShutdown()
            Task { [containers] in await containers.shutdown() }
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            logger.warning("shutdown timeout (\(timeout)) reached: cancelling what is still running")
            running.cancel()
            // Cancelled work gets a moment to end; a handler that ignores cancellation is left behind.
            try? await Task.sleep(for: .milliseconds(500))
            ending.settle(.timedOut)
        }
        let result = await ending.value()
        stopper.cancel()
        // Containers stop in their own time (their stop timeouts), as dockerd's do without live-restore.
        await containers.shutdown()
        await engine.shutdown(timeout: {
            if case .timedOut = result { return .zero }
            return timeout
        }())
        return result
    }
}
