import BerthSync
import BerthLogging
import BerthTransport

/// The HTTP server: one discarding task group with a child task per listener and a child task per
/// connection. Nothing outlives the group; cancelling `run()` stops everything at once, while
/// `beginShutdown()` (or opening the `shutdown` gate) stops it gracefully.
public final class Server: Sendable {
    public let listeners: [Listener]
    public let service: Service
    public let configuration: ServerConfiguration
    /// Every open connection and its state.
    public let connections: ConnectionRegistry
    private let gate: ActivationGate?
    private let shutdown: ActivationGate

    /// - Parameters:
    ///   - gate: holds accepting back until it opens; the listeners are bound already, so early
    ///     clients wait in the kernel backlog.
    ///   - shutdown: opening it starts a graceful shutdown.
    public init(listeners: [Listener], service: Service, configuration: ServerConfiguration = ServerConfiguration(),
                gate: ActivationGate? = nil, shutdown: ActivationGate = ActivationGate(),
                connections: ConnectionRegistry = ConnectionRegistry()) {
        self.connections = connections
        self.listeners = listeners
        self.service = service
        self.configuration = configuration
        self.gate = gate
        self.shutdown = shutdown
    }

    /// Starts a graceful shutdown: stop accepting and remove socket files at once, close idle
    /// and hijacked connections, let requests in flight finish with `Connection: close` (for up
    /// to `configuration.shutdownTimeout`, then cancel them), end streams with their terminating
    /// chunk. `run()` returns when the last connection is gone.
    public func beginShutdown() {
        shutdown.open()
    }

    /// Accepts and serves until shut down or cancelled, or until a listener fails (then throws its
    /// error). Listeners are closed, and their socket files removed, before it returns.
    public func run() async throws {
        let (accepted, sink) = AsyncStream.makeStream(of: (Socket, Listener).self)
        let shortage = DescriptorShortage(connections: connections, logger: configuration.logger)
        DescriptorReserve.shared.restore()
        let lowWatermark = DescriptorReserve.shared.lowWatermark
        try await withThrowingDiscardingTaskGroup { group in
            for listener in listeners {
                group.addTask { [gate, shutdown] in
                    defer { sink.finish() }
                    do {
                        try await gate?.wait()
                        while true {
                            do {
                                let socket = try await listener.accept()
                                let number = socket.fd
                                sink.yield((socket, listener))
                                // Fewer than the headroom left: shed before accepting more.
                                if number >= lowWatermark {
                                    try await shortage.relieve(.runningLow(descriptor: number), on: listener.displayAddress)
                                }
                            } catch let error as SocketError where error.isResourceShortage {
                                try await shortage.relieve(.acceptFailed(error), on: listener.displayAddress)
                            }
                        }
                    } catch {
                        await listener.close()
                        if shutdown.isOpen { return }  // closed by the shutdown: not a failure
                        throw error
                    }
                }
            }
            group.addTask { [self] in
                // On shutdown: close listeners (their accept loops end), abandon activation, and
                // interrupt idle connections.
                do { try await shutdown.wait() } catch { return }
                for listener in listeners { await listener.close() }
                gate?.fail(CancellationError())
                connections.beginShutdown(deadline: configuration.shutdownTimeout.map { ContinuousClock.now + $0 })
            }
            group.addTask { [self] in
                // A request may need a watch until a few sweeps after it began; deadlines are
                // seconds long. So a server with no new requests passes over its connections only
                // every tenth sweep: thousands of idle connections then cost almost nothing. With
                // no connection at all there is nothing to sweep: it waits for one.
                let watchSweeps = Int(configuration.hangUpWatchDelay / configuration.sweepInterval) + 2
                var lastBegun = connections.requestsBegun
                var quietSweeps = 0
                var tick = 0
                while !Task.isCancelled {
                    if connections.openCount == 0 {
                        if shutdown.isOpen { return }
                        if !DescriptorReserve.shared.isHeld { DescriptorReserve.shared.restore() }
                        // At most a second: the unbounded wait coincided once with a CI run
                        // that hung (not reproduced since), and a bound keeps any wake-up it
                        // might miss from costing more than that.
                        await connections.waitForConnection(atMost: .seconds(1))
                        continue
                    }
                    try? await Task.sleep(for: configuration.sweepInterval)
                    tick += 1
                    let begun = connections.requestsBegun
                    quietSweeps = begun == lastBegun ? quietSweeps + 1 : 0
                    lastBegun = begun
                    if quietSweeps <= watchSweeps || tick % 10 == 0 {
                        connections.sweep(headRead: configuration.headerReadTimeout, idle: configuration.idleTimeout,
                                          watchAfter: configuration.hangUpWatchDelay)
                    }
                    connections.enforceShutdownDeadline()
                    if !DescriptorReserve.shared.isHeld { DescriptorReserve.shared.restore() }
                    if shutdown.isOpen && connections.openCount == 0 { return }
                }
            }
            if listeners.isEmpty { sink.finish() }
            for await (socket, listener) in accepted {
                // Connection tasks prefer the reactor: a wake-up after epoll costs no thread switch.
                group.addTask(executorPreference: Reactor.shared) { [self] in
                    guard let handshake = listener.handshake else {
                        return await serve(socket, listener: listener.displayAddress)
                    }
                    do {
                        await serve(try await handshake(socket), listener: listener.displayAddress)
                    } catch {
                        configuration.logger.debug("http: \(error)")
                        socket.close()
                    }
                }
            }
        }
    }

    /// Serves one connection over any byte channel until it closes, in the current task: the
    /// registry cancels that task if the client hangs up during a slow request.
    public func serve(_ channel: any ByteChannel, listener: String) async {
        await Connection(server: self, shutdown: shutdown, channel: channel, listener: listener).run()
    }
}
