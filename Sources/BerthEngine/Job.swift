import BerthCore
import BerthSync

/// One unit of work: a name, arguments, an environment, three byte streams and a status. Made by
/// `Engine.job`, run once with `run()`. The handler reads `stdin` and writes `stdout`/`stderr`;
/// both output streams end when the job does.
public final class Job: Sendable {
    public let name: String
    public let args: [String]
    public let env: JobEnvironment
    public let stdin: ByteStream
    public let stdout = ByteStream()
    public let stderr = ByteStream()
    private let engine: Engine
    private let state = Locked<JobStatus>(.pending)

    init(engine: Engine, name: String, args: [String], env: JobEnvironment, stdin: ByteStream) {
        self.engine = engine
        self.name = name
        self.args = args
        self.env = env
        self.stdin = stdin
    }

    public var status: JobStatus { state.withLock { $0 } }

    /// `name(arg1, arg2)`, as logs show it.
    public var callDescription: String { "\(name)(\(args.joined(separator: ", ")))" }

    /// Runs the job's handler through the engine. Throws the handler's error (its kind and message
    /// are kept in `status`). Cancelling the calling task cancels the job.
    public func run() async throws {
        let started = state.withLock { status -> Bool in
            guard status == .pending else { return false }
            status = .running
            return true
        }
        guard started else { throw EngineError.alreadyRun(name) }
        defer {
            stdout.finish()
            stderr.finish()
        }
        do {
            try await engine.execute(self)
            state.withLock { $0 = .ok }
        } catch {
            let (kind, message) = ErrorKind.classify(error)
            state.withLock { $0 = .failed(kind, message) }
            throw error
        }
    }

    /// Runs the job and returns everything it wrote to stdout.
    public func output() async throws -> [UInt8] {
        async let collected = stdout.collect()
        do {
            try await run()
        } catch {
            _ = await collected
            throw error
        }
        return await collected
    }
}
