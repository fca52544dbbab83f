import BerthAPI
import BerthCore
import BerthSync
import BerthTransport

/// Copies one run of a container's output: each stream (stdout and stderr, or a terminal's
/// single stream) is read on the reactor until its end, split into lines for the json-file log,
/// and handed as read to every attached client. `finished` returns once every stream has ended
/// and its last line is in the log: only then may `wait` answer and `die` fire.
final class OutputCopier: Sendable {
    /// dockerd's json-file splits lines longer than this into several entries.
    static let maximumEntry = 16 * 1024
    /// The most one read takes from a stream.
    static let readSize = 64 * 1024

    private struct State {
        var attachments: [UInt64: Attachment] = [:] {
            didSet { list = Array(attachments.values) }
        }
        /// The attachments' values, kept so that each read takes them without building an array.
        private(set) var list: [Attachment] = []
        var nextID: UInt64 = 0
        var ended = false
    }

    private let log: JSONFileLog?
    private let state = Locked(State())
    /// Settled once every stream has ended and been logged.
    private let done = OneShot<Bool>()
    private let remaining: Locked<Int>
    /// The channels being read, for `abandon`, and whether it was called.
    private let channels = Locked<(open: [PipeChannel], abandoned: Bool)>(([], false))

    /// - Parameters:
    ///   - log: where lines go (nil for the `none` log driver).
    ///   - streams: how many streams `copy` will be called for.
    init(log: JSONFileLog?, streams: Int) {
        self.log = log
        self.remaining = Locked(streams)
    }

    /// Adds a client; it gets everything read from now on. Returns nil if the output has ended.
    func attach(_ attachment: Attachment) -> UInt64? {
        state.withLock { s -> UInt64? in
            if s.ended { return nil }
            s.nextID += 1
            s.attachments[s.nextID] = attachment
            return s.nextID
        }
    }

    func detach(_ id: UInt64) {
        state.withLock { $0.attachments.removeValue(forKey: id) }?.close()
    }

    /// Reads `channel` to its end as `stream`, then closes it.
    func copy(_ channel: PipeChannel, as stream: OutputStream) async {
        let abandoned = channels.withLock { state -> Bool in
            state.open.append(channel)
            return state.abandoned
        }
        if abandoned { channel.close() }
        var partial: [UInt8] = []
        while true {
            let bytes: [UInt8]
            do {
                // Whatever the pipe holds, up to 64 KiB, in one read.
                bytes = try await channel.read(upTo: Self.readSize)
            } catch {
                break  // a read error ends the stream as its end would
            }
            guard !bytes.isEmpty else { break }
            let time = Timestamp.nowNanoseconds()
            for attachment in state.withLock({ $0.list }) { await attachment.send(stream, bytes) }
            guard let log else { continue }
            var entries: [JSONFileLog.Entry] = []
            var lineStart = 0
            for index in bytes.indices where bytes[index] == 10 {
                var line = partial
                partial = []
                line += bytes[lineStart...index]
                entries.append(JSONFileLog.Entry(stream: stream, bytes: line, time: time))
                lineStart = index + 1
            }
            partial += bytes[lineStart...]
            while partial.count >= Self.maximumEntry {
                entries.append(JSONFileLog.Entry(stream: stream, bytes: Array(partial.prefix(Self.maximumEntry)), time: time))
                partial.removeFirst(Self.maximumEntry)
            }
            try? await log.append(entries)
        }
        channel.close()
        if let log, !partial.isEmpty {
            try? await log.append([JSONFileLog.Entry(stream: stream, bytes: partial, time: Timestamp.nowNanoseconds())])
        }
        let last = remaining.withLock { count -> Bool in
            count -= 1
            return count == 0
        }
        guard last else { return }
        let attachments = state.withLock { s -> [Attachment] in
            s.ended = true
            defer { s.attachments = [:] }
            return Array(s.attachments.values)
        }
        for attachment in attachments { attachment.finish() }
        log?.endRun()
        done.settle(true)
    }

    /// Stops reading: each stream ends as if its writers had gone (an exec's background child
    /// still holds them).
    func abandon() {
        let open = channels.withLock { state -> [PipeChannel] in
            state.abandoned = true
            return state.open
        }
        for channel in open { channel.close() }
    }

    /// Returns once every stream has ended and been logged.
    func finished() async {
        _ = await done.value()
    }

    /// `finished`, or false if `limit` passes first.
    func finished(within limit: Duration) async -> Bool {
        await done.value(within: limit) != nil
    }
}
