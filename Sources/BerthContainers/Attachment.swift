import BerthAPI
import BerthSync
import BerthTransport

/// One client attached to a container's output: a queue of what the container wrote, bounded
/// in bytes. The copier waits while the queue is full (a slow client slows the container only
/// after `capacity` bytes), never once the client has gone (then everything is dropped); the
/// client's task takes pieces with `next` until the output ends.
final class Attachment: Sendable {
    private struct State {
        var pieces: [(OutputStream, [UInt8])] = []
        var head = 0
        var bytes = 0
        var finished = false
        var gone = false
        var reader: CheckedContinuation<(OutputStream, [UInt8])?, Never>?
        var writer: CheckedContinuation<Void, Never>?
    }

    let stdout: Bool
    let stderr: Bool
    let capacity: Int
    private let state = Locked(State())

    /// The most `next` joins into one piece.
    static let largestPiece = 256 * 1024

    init(stdout: Bool, stderr: Bool, capacity: Int = 1 << 20) {
        self.stdout = stdout
        self.stderr = stderr
        self.capacity = capacity
    }

    /// Queues a piece of output for the client, waiting while the queue is over capacity.
    func send(_ stream: OutputStream, _ bytes: [UInt8]) async {
        guard stream == .stderr ? stderr : stdout else { return }
        let full = state.withLock { s -> Bool in
            if s.gone || s.finished { return false }
            if let reader = s.reader {
                s.reader = nil
                reader.resume(returning: (stream, bytes))
                return false
            }
            s.pieces.append((stream, bytes))
            s.bytes += bytes.count
            return s.bytes > capacity
        }
        guard full else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if s.gone || s.bytes <= capacity / 2 { return true }
                s.writer = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// The next piece, or nil once the output has ended and everything was taken.
    func next() async -> (OutputStream, [UInt8])? {
        await withCheckedContinuation { (continuation: CheckedContinuation<(OutputStream, [UInt8])?, Never>) in
            let (piece, ready, writer) = state.withLock { s -> ((OutputStream, [UInt8])?, Bool, CheckedContinuation<Void, Never>?) in
                if s.head < s.pieces.count {
                    // Everything queued for the same stream goes as one piece (one frame, one
                    // write to the client): a fast writer's small writes do not each cost a send.
                    var piece = s.pieces[s.head]
                    s.head += 1
                    while s.head < s.pieces.count, s.pieces[s.head].0 == piece.0, piece.1.count < Self.largestPiece {
                        piece.1 += s.pieces[s.head].1
                        s.head += 1
                    }
                    s.bytes -= piece.1.count
                    if s.head == s.pieces.count {
                        s.pieces.removeAll(keepingCapacity: true)
                        s.head = 0
                    }
                    var writer: CheckedContinuation<Void, Never>?
                    if s.bytes <= capacity / 2 {
                        writer = s.writer
                        s.writer = nil
                    }
                    return (piece, true, writer)
                }
                if s.finished || s.gone { return (nil, true, nil) }
                s.reader = continuation
                return (nil, false, nil)
            }
            writer?.resume()
            if ready { continuation.resume(returning: piece) }
        }
    }

    /// The container's output has ended: the client gets what is queued, then nil.
    func finish() {
        let reader = state.withLock { s -> CheckedContinuation<(OutputStream, [UInt8])?, Never>? in
            s.finished = true
            defer { s.reader = nil }
            return s.reader
        }
        reader?.resume(returning: nil)
    }

    /// The client has gone: drop what is queued and never make the copier wait again.
    func close() {
        let (reader, writer) = state.withLock { s in
            s.gone = true
            s.pieces = []
            s.head = 0
            s.bytes = 0
            defer {
                s.reader = nil
                s.writer = nil
            }
            return (s.reader, s.writer)
        }
        reader?.resume(returning: nil)
        writer?.resume()
    }
}

extension Attachment {
    /// Serves one client: copies its input (if any) to the channel `input` settles with, and
    /// what is queued here to `output`, until the output ends, the client goes, or it types
    /// the detach keys (then its stream ends and the process keeps running).
    func serve(output: OutputSink, input: (read: ByteSource, channel: OneShot<PipeChannel?>)?, closeInputAtEnd: Bool,
               detachKeys: DetachKeys) async throws {
        var stdinTask: Task<Void, Never>?
        if let input {
            stdinTask = Task {
                await Self.copyInput(from: input.read, to: input.channel, closeAtEnd: closeInputAtEnd, detachKeys: detachKeys,
                                     onDetach: { self.close() })
            }
        }
        defer { stdinTask?.cancel() }
        do {
            while let (stream, bytes) = await next() { try await output(stream, bytes) }
        } catch {
            close()
            throw error
        }
    }

    /// Copies a client's bytes to the container's stdin (once its run has started) until the
    /// client closes its side, then closes stdin if the container wants it once (`StdinOnce`);
    /// or until the client types the detach keys.
    private static func copyInput(from read: ByteSource, to ready: OneShot<PipeChannel?>, closeAtEnd: Bool, detachKeys: DetachKeys,
                                  onDetach: @Sendable () -> Void) async {
        var pending = try? await read()
        guard let input = try? await ready.valueUnlessCancelled() else { return }
        var scanner = DetachKeys.Scanner(detachKeys)
        while let bytes = pending, !bytes.isEmpty {
            let (forward, detach) = scanner.feed(bytes)
            if !forward.isEmpty {
                do { try await input.write(forward) } catch { return }
            }
            if detach { return onDetach() }
            pending = try? await read()
        }
        if closeAtEnd { input.close() }
    }
}
