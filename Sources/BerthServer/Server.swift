import BerthLogging
import BerthTransport

/// The HTTP server: one discarding task group with a child task per listener and a child task per
/// connection. Nothing outlives the group; cancelling `run()` shuts the server down.
public final class Server: Sendable {
    public let listeners: [Listener]
    public let service: Service
    public let configuration: ServerConfiguration
    private let gate: ActivationGate?

    /// `gate`, if given, holds accepting back until it opens; the listeners are bound already,
    /// so early clients wait in the kernel backlog.
    public init(listeners: [Listener], service: Service, configuration: ServerConfiguration = ServerConfiguration(),
                gate: ActivationGate? = nil) {
        self.listeners = listeners
        self.service = service
        self.configuration = configuration
        self.gate = gate
    }

    /// Accepts and serves until cancelled, or until a listener fails (then throws its error).
    /// Listeners are closed, and their socket files removed, before it returns.
    public func run() async throws {
        let (accepted, sink) = AsyncStream.makeStream(of: (Socket, String).self)
        try await withThrowingDiscardingTaskGroup { group in
            for listener in listeners {
                group.addTask { [gate] in
                    defer { sink.finish() }
                    do {
                        try await gate?.wait()
                        while true {
                            let socket = try await listener.accept()
                            sink.yield((socket, listener.displayAddress))
                        }
                    } catch {
                        await listener.close()
                        throw error
                    }
                }
            }
            for await (socket, listenerName) in accepted {
                group.addTask { [self] in await serve(socket, listener: listenerName) }
            }
        }
    }

    /// Serves one connection over any byte channel until it closes.
    public func serve(_ channel: any ByteChannel, listener: String) async {
        await Connection(channel: channel, service: service, configuration: configuration, listener: listener).run()
    }
}
