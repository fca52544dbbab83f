import BerthServer
import BerthTransport
#if canImport(Glibc)
import Glibc
#endif

/// Starts a server for the length of a test body, in memory or on real sockets, and stops it
/// (cancelling every connection) when the body returns.
public enum TestServer {
    /// Runs `body` against an in-memory server: each `connect()` gives a client whose bytes go
    /// through the real parser, middleware, router and handlers, with no kernel socket.
    public static func withInMemory<R: Sendable>(_ service: Service, configuration: ServerConfiguration = ServerConfiguration(),
                                                 _ body: @escaping @Sendable (InMemoryServer) async throws -> R) async throws -> R {
        let (connections, sink) = AsyncStream.makeStream(of: MemoryChannel.self)
        let server = Server(listeners: [], service: service, configuration: configuration)
        let memory = InMemoryServer(sink: sink)
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                defer { sink.finish() }
                return try await body(memory)
            }
            for await channel in connections {
                // As the server does for accepted sockets: connection work runs on the reactor.
                group.addTask(executorPreference: Reactor.shared) {
                    await server.serve(channel, listener: "memory")
                    return nil
                }
            }
            var result: R?
            while let next = try await group.next() {
                if let next { result = next; group.cancelAll() }
            }
            // Only the body returns a value; without one, the test itself was cancelled.
            guard let result else { throw CancellationError() }
            return result
        }
    }

    /// Runs `body` against a live server on `addresses` (default: an ephemeral TCP port on
    /// 127.0.0.1 and a unix socket in a temporary directory).
    public static func withLive<R: Sendable>(_ service: Service, addresses: [ListenAddress]? = nil,
                                             configuration: ServerConfiguration = ServerConfiguration(),
                                             _ body: @escaping @Sendable (LiveServer) async throws -> R) async throws -> R {
        let directory = try TestDirectory.make("live")
        defer { rmdir(directory) }
        let addresses = addresses ?? [.tcp(host: "127.0.0.1", port: 0), .unix(path: directory + "/berth.sock")]
        var listeners: [Listener] = []
        for address in addresses { listeners.append(try await Listener.bind(address)) }
        let server = Server(listeners: listeners, service: service, configuration: configuration)
        let live = LiveServer(listeners: listeners)
        return try await withThrowingTaskGroup(of: R?.self) { group in
            group.addTask {
                try await server.run()
                return nil
            }
            group.addTask { try await body(live) }
            var result: R?
            var failure: (any Error)?
            do {
                while let next = try await group.next() {
                    if let next { result = next; group.cancelAll() }
                }
            } catch {
                failure = error
            }
            for listener in listeners { await listener.close() }
            // Only the body returns a value; without one, the body or the server threw, or the
            // test was cancelled.
            guard let result else { throw failure ?? CancellationError() }
            return result
        }
    }
}

/// An in-memory server started by `TestServer.withInMemory`.
public struct InMemoryServer: Sendable {
    let sink: AsyncStream<MemoryChannel>.Continuation

    /// A new client connection.
    public func connect() -> TestClient {
        let (client, server) = MemoryChannel.pair()
        sink.yield(server)
        return TestClient(channel: client)
    }
}

/// A live server started by `TestServer.withLive`.
public struct LiveServer: Sendable {
    public let listeners: [Listener]

    /// The first TCP port bound.
    public var tcpPort: Int? { listeners.lazy.compactMap(\.boundPort).first }

    /// The first unix socket path bound.
    public var unixPath: String? {
        listeners.lazy.compactMap { if case .unix(let path) = $0.address { path } else { nil } }.first
    }

    public func connectTCP() async throws -> TestClient {
        guard let port = tcpPort else { throw TestClientError("no TCP listener") }
        return try await TestClient.connect(port: port)
    }

    public func connectUnix() async throws -> TestClient {
        guard let path = unixPath else { throw TestClientError("no unix listener") }
        return try await TestClient.connect(unixPath: path)
    }
}
