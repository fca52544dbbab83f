import BerthHTTP
import BerthLogging
import BerthTransport

/// One client connection: read a head, answer it, repeat while keep-alive allows. Requests are
/// answered one after another, so pipelined requests get their responses in order. A malformed
/// request is answered with its status and `Connection: close`, and nothing after it runs.
///
/// Cancellation flows down: the handler runs in the connection's task; a client that hangs up
/// cancels it; shutdown (the server's shutdown gate) ends idle waits at once, lets a request in
/// flight finish with `Connection: close`, and ends a stream with its terminating chunk.
///
/// A class, used by its own task only: the async frames of a connection then hold a reference
/// rather than copies of its state, which keeps an idle connection's task small.
final class Connection {
    let channel: any ByteChannel
    /// The server, for its service, configuration and registry (held by reference: an idle
    /// connection should not carry copies of them).
    let server: Server
    let listener: String
    let shutdown: ActivationGate
    var service: Service { server.service }
    var configuration: ServerConfiguration { server.configuration }
    var registry: ConnectionRegistry { server.connections }
    private var parser: RequestHeadParser
    /// The response head being written; dropped while idle.
    private var out: [UInt8] = []

    /// Not inlined: building it inside an async caller would put copies of the service and the
    /// configuration in that caller's frame for the connection's lifetime.
    @inline(never)
    init(server: Server, shutdown: ActivationGate, channel: any ByteChannel, listener: String) {
        self.channel = channel
        self.server = server
        self.listener = listener
        self.shutdown = shutdown
        self.parser = RequestHeadParser(limits: server.configuration.limits)
    }

    // Not inlined into its callers, and the request split off, so that the frames an idle
    // connection keeps while it waits stay small.
    @inline(never)
    func run() async {
        let counter = ByteCounter()
        guard let record = registry.register(channel, counter: counter, listener: listener) else {
            channel.close()
            return
        }
        defer { registry.remove(record) }
        let inbound = InboundStream(channel: channel, counter: counter)
        while !Task.isCancelled {
            let head: RequestHead
            do {
                guard let next = try await readHead(inbound, record) else { break }
                head = next
            } catch let error as HTTPParseError {
                await refuse(error)
                return
            } catch {
                break
            }
            let next = await exchange(head, inbound, record)
            if next == .again { continue }
            if next == .close {
                await lingeringClose()
                return
            }
            break  // .abort
        }
        channel.close()
    }

    /// After a request: read the next one, close (lingering), or drop the connection at once.
    private enum Next { case again, close, abort }

    /// Answers one request whose head has been read: runs the handler, writes the response and
    /// discards what is left of a small body. Says whether the connection carries on.
    @inline(never)
    private func exchange(_ head: RequestHead, _ inbound: InboundStream, _ record: ConnectionRecord) async -> Next {
        inbound.beginBody(head.framing, expectsContinue: head.expectsContinue)
        let body = head.framing == .none ? RequestBody.empty : RequestBody(inbound: inbound, lease: inbound.lend())
        // The stream is taken back from the body in `finish` and `clientLeft`, kept out of this
        // frame (a value held across the await here would stay in every idle connection's task).
        guard let response = await respond(head, body, record) else {
            clientLeft(head, inbound)
            return .abort
        }
        return await finish(response, head, inbound, record)
    }

    /// Writes the response and discards what is left of a small body.
    @inline(never)
    private func finish(_ response: Response, _ head: RequestHead, _ inbound: InboundStream, _ record: ConnectionRecord) async -> Next {
        inbound.takeBack()
        var keepAlive = head.keepAlive && !registry.isShuttingDown
        var discardAfter = false
        if !inbound.bodyComplete {
            // An unread body: keep the connection only if it is small, bounded and the client
            // is sending it (not waiting for 100 Continue).
            if case .length(let remaining) = inbound.bodyState, !inbound.continueNeeded,
               remaining <= configuration.maxBodyDiscard {
                discardAfter = true
            } else {
                keepAlive = false
            }
        }
        do {
            keepAlive = try await write(response, for: head, keepAlive: keepAlive, inbound: inbound, record: record)
        } catch {
            return .abort
        }
        if keepAlive && discardAfter { keepAlive = await inbound.discardBody(limit: configuration.maxBodyDiscard) }
        return keepAlive ? .again : .close
    }

    /// The client left during the request: takes the stream back and logs. Kept out of
    /// `exchange`: an interpolated log message would enlarge its async frame.
    @inline(never)
    private func clientLeft(_ head: RequestHead, _ inbound: InboundStream) {
        inbound.takeBack()
        configuration.logger.debug("client \(channel.peer) left during \(head.method) \(head.target)")
    }

    /// Reads until a whole head is buffered. Nil when the client closed the connection first, or
    /// when the registry ended the wait (shutdown, deadline).
    @inline(never)
    private func readHead(_ inbound: InboundStream, _ record: ConnectionRecord) async throws -> RequestHead? {
        // Reading-head is entered only when a head takes more than one read; the usual head that
        // arrives whole goes from idle to active.
        var state: ConnectionRegistry.State = inbound.buffer.isEmpty ? .idle : .readingHead
        guard registry.transition(record, to: state) else { return nil }
        while true {
            if let head = try parseBuffered(inbound) {
                // Only a request without a body (and not an upgrade, whose client half-closes at
                // once) can be watched for its client hanging up.
                guard registry.transition(record, to: .active, watchable: head.framing == .none && !head.wantsUpgrade) else {
                    return nil
                }
                return head
            }
            if state == .idle && inbound.buffer.isEmpty {
                // An idle connection keeps no buffers: they come back with the next request.
                inbound.buffer.releaseIfEmpty()
                out = []
            }
            if state == .idle && !inbound.buffer.isEmpty {
                state = .readingHead
                guard registry.transition(record, to: state) else { return nil }
            }
            let n = try await channel.read(into: &inbound.buffer)
            if n == 0 { return nil }
            inbound.counter.addReceived(n)
        }
    }

    /// A head parsed from what is buffered (and consumed from it), or nil when more is needed.
    private func parseBuffered(_ inbound: InboundStream) throws -> RequestHead? {
        switch try inbound.buffer.withUnsafeReadableBytes({ try parser.parse($0) }) {
        case .complete(let head, let consumed):
            inbound.buffer.consume(consumed)
            return head
        case .needMore:
            return nil
        }
    }

    /// Runs the service in the connection's task, so cancelling the connection cancels the
    /// request and its job. While a watchable request is handled, the registry's sweeper may
    /// watch it: if the client hangs up, the connection is cancelled, and nil is returned. Quick
    /// handlers never pay for a watch.
    @inline(__always)
    private func respond(_ head: RequestHead, _ body: RequestBody, _ record: ConnectionRecord) async -> Response? {
        let response = await service.respond(to: head, body: body, peer: channel.peer, listener: listener,
                                             cancellation: record.cancellation.beginRequest())
        return record.endRequest() ? nil : response
    }

    /// Writes a response. Returns whether the connection may carry another request.
    @inline(__always)
    private func write(_ response: Response, for head: RequestHead, keepAlive: Bool, inbound: InboundStream,
                       record: ConnectionRecord) async throws -> Bool {
        switch response.body {
        case .empty: try await writeFixed(response, [], for: head, keepAlive: keepAlive, record: record)
        case .bytes(let bytes): try await writeFixed(response, bytes, for: head, keepAlive: keepAlive, record: record)
        default: try await writeStreamed(response, for: head, keepAlive: keepAlive, inbound: inbound, record: record)
        }
    }

    private func connectionField(keepAlive: Bool, version: HTTPVersion) -> StaticString? {
        keepAlive ? (version == .http1_0 ? "keep-alive" : nil) : "close"
    }

    /// Writes a response with a fixed body: head and body in one write.
    private func writeFixed(_ response: Response, _ bytes: [UInt8], for head: RequestHead, keepAlive: Bool,
                            record: ConnectionRecord) async throws -> Bool {
        let suppressBody = head.method == .head || response.status.forbidsBody
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(512)
        ResponseHeadWriter.write(status: response.status, version: head.version, headers: response.headers, more: response.standardFields,
                                 framing: response.status.forbidsBody ? .none : .length(bytes.count),
                                 date: true, connection: connectionField(keepAlive: keepAlive, version: head.version), into: &out)
        try await channel.write(out, suppressBody ? [] : bytes)
        record.counter.addSent(out.count + (suppressBody ? 0 : bytes.count))
        return keepAlive
    }

    /// Writes a streamed, raw or hijacked response.
    @inline(never)
    private func writeStreamed(_ response: Response, for head: RequestHead, keepAlive: Bool, inbound: InboundStream,
                               record: ConnectionRecord) async throws -> Bool {
        let counter = record.counter
        let version = head.version
        let suppressBody = head.method == .head || response.status.forbidsBody
        var keepAlive = keepAlive
        func connectionField() -> StaticString? { self.connectionField(keepAlive: keepAlive, version: version) }
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(512)
        switch response.body {
        case .empty, .bytes:
            preconditionFailure("fixed bodies are written by writeFixed")

        case .stream(let produce):
            let chunked = version == .http1_1
            if !chunked { keepAlive = false }
            ResponseHeadWriter.write(status: response.status, version: version, headers: response.headers, more: response.standardFields,
                                     framing: chunked ? .chunked : .none, date: true,
                                     connection: connectionField(), into: &out)
            try await channel.write(out)
            counter.addSent(out.count)
            if suppressBody { return keepAlive }
            _ = registry.transition(record, to: .streaming)
            let watchHangUp = inbound.bodyComplete
            inbound.lendAgain()
            let outcome = await runStream(produce, chunked: chunked, watchHangUp: watchHangUp, counter: counter)
            inbound.takeBack()
            switch outcome {
            case .finished:
                if chunked { try await channel.write(ResponseHeadWriter.lastChunk) }
                return keepAlive && !registry.isShuttingDown
            case .shutDown:
                if chunked { try await channel.write(ResponseHeadWriter.lastChunk) }
                return false
            case .failed(let error):
                // The head has gone out; the only honest signal left is to cut the stream.
                configuration.logger.debug("stream for \(head.method) \(head.target) ended: \(error)")
                return false
            case .clientLeft:
                configuration.logger.debug("client left during the stream for \(head.method) \(head.target)")
                return false
            }

        case .raw(let produce):
            ResponseHeadWriter.write(status: response.status, version: version, headers: response.headers, more: response.standardFields,
                                     framing: .none, date: true, connection: "close", into: &out)
            try await channel.write(out)
            _ = registry.transition(record, to: .streaming)
            if !suppressBody {
                inbound.lendAgain()
                try? await produce(ResponseBodyWriter(channel: channel, chunked: false, counter: counter))
                inbound.takeBack()
            }
            return false

        case .hijack(let run):
            ResponseHeadWriter.write(status: response.status, version: version, headers: response.headers, more: response.standardFields,
                                     framing: .none, date: false, connection: nil, into: &out)
            try await channel.write(out)
            guard registry.transition(record, to: .hijacked), !registry.isShuttingDown else { return false }
            let leftover = inbound.buffer.read(upTo: inbound.buffer.readableCount)
            do {
                try await run(HijackedStream(channel: channel, leftover: leftover))
            } catch {
                configuration.logger.debug("hijacked stream for \(head.target) ended: \(error)")
            }
            return false
        }
    }

    private enum StreamOutcome: Sendable {
        case finished
        case shutDown
        case failed(any Error)
        case clientLeft
    }

    /// Runs a stream producer. While it runs, and once the request body has been read, the
    /// connection watches for the client hanging up and cancels the producer (and so its job)
    /// when it does; bytes from the client (a pipelined request) stop the watch, not the stream.
    /// Shutdown ends the producer and the stream cleanly.
    private func runStream(_ produce: @escaping @Sendable (ResponseBodyWriter) async throws -> Void,
                           chunked: Bool, watchHangUp: Bool, counter: ByteCounter) async -> StreamOutcome {
        let writer = ResponseBodyWriter(channel: channel, chunked: chunked, counter: counter)
        return await withTaskGroup(of: StreamOutcome?.self) { group in
            group.addTask {
                do {
                    try await produce(writer)
                    return .finished
                } catch {
                    return .failed(error)
                }
            }
            group.addTask { [shutdown] in
                do {
                    try await shutdown.wait()
                    return .shutDown
                } catch {
                    return nil
                }
            }
            if watchHangUp {
                group.addTask { [channel] in
                    do {
                        return try await channel.waitForHangUp() ? .clientLeft : nil
                    } catch {
                        return Task.isCancelled ? nil : .clientLeft
                    }
                }
            }
            while let next = await group.next() {
                if let outcome = next {
                    group.cancelAll()
                    return outcome
                }
            }
            return .finished
        }
    }

    /// Answers a request the parser refused, then closes.
    private func refuse(_ error: HTTPParseError) async {
        let (status, message) = ErrorResponse.statusAndMessage(for: error)
        let body = ErrorResponse.body(message)
        out.removeAll(keepingCapacity: true)
        ResponseHeadWriter.write(status: status, headers: ["Content-Type": "application/json"],
                                 framing: .length(body.count), date: true, connection: "close", into: &out)
        try? await channel.write(out, body)
        await lingeringClose()
    }

    /// Closes our side, lingering while unread input remains (see `ByteChannel.lingeringClose`).
    private func lingeringClose() async {
        await channel.lingeringClose(for: configuration.lingerDuration)
    }
}
