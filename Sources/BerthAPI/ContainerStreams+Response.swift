import BerthServer

/// How a container's or an exec's streams go to a client: the hijacked connection of an
/// attach or an exec start, or a raw body.
extension ContainerStreams {
    /// `101 UPGRADED` and the connection as a two-way stream when the client asked to upgrade,
    /// else a raw stream until the process ends. An attach's 101 carries no standard header
    /// fields, an exec start's does (`standardHeaders`), as dockerd's.
    func response(upgrade: Bool, stdin: Bool, standardHeaders: Bool) -> Response {
        let streams = self
        guard upgrade else {
            let run: @Sendable (ResponseBodyWriter) async throws -> Void = { writer in
                let output = Self.sink(tty: streams.tty) { bytes in try await writer.write(bytes) }
                try await streams.run(nil, output)
            }
            return Response(status: .ok, headers: ["Content-Type": "application/vnd.docker.raw-stream"], body: .raw(run))
        }
        let run: @Sendable (HijackedStream) async throws -> Void = { connection in
            var input: ByteSource? = nil
            if stdin { input = { try await connection.read() } }
            let output = Self.sink(tty: streams.tty) { bytes in try await connection.write(bytes) }
            try await streams.run(input, output)
        }
        var response = Response(status: .upgraded, headers: [
            "Content-Type": "application/vnd.docker.raw-stream", "Connection": "Upgrade", "Upgrade": "tcp",
        ], body: .hijack(run))
        response.omitsStandardHeaders = !standardHeaders
        return response
    }

    /// Writes output as the client reads it: raw from a terminal, else in stdcopy frames
    /// (stream id, three zero bytes, the big-endian length, the bytes), one per piece.
    static func sink(tty: Bool, _ write: @escaping @Sendable ([UInt8]) async throws -> Void) -> OutputSink {
        if tty { return { _, bytes in try await write(bytes) } }
        return { stream, bytes in
            guard !bytes.isEmpty else { return }
            var frame: [UInt8] = []
            frame.reserveCapacity(bytes.count + 8)
            let count = UInt32(bytes.count)
            frame += [stream.rawValue, 0, 0, 0, UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff),
                      UInt8(count & 0xff)]
            frame += bytes
            try await write(frame)
        }
    }
}
