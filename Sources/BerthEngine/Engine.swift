import BerthLogging

/// Maps job names to async handlers and runs jobs: `register("info") { job in … }`, then
/// `engine.job("info").run()`. Running a job logs and times it; the engine refuses new jobs once
/// it is shutting down, and `shutdown(timeout:)` waits for running jobs, cancels what is left and
/// runs the shutdown hooks.
public actor Engine {
    public typealias Handler = @Sendable (Job) async throws -> Void

    /// A job that is running now.
    public struct RunningJob: Sendable {
        public let id: UInt64
        public let call: String
        public let started: ContinuousClock.Instant
        let task: Task<Void, any Error>
    }

    private var handlers: [String: Handler] = [:]
    private var hooks: [@Sendable () async -> Void] = []
    private var running: [UInt64: RunningJob] = [:]
    private var nextID: UInt64 = 0
    private var stats: [String: JobStats] = [:]
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    public private(set) var isShuttingDown = false
    private let logger: Logger

    public init(logger: Logger = Logger()) {
        self.logger = logger
    }

    /// Registers (or replaces) the handler for `name`.
    public func register(_ name: String, _ handler: @escaping Handler) {
        handlers[name] = handler
    }

    /// Adds a hook run at shutdown; hooks run in reverse order of registration.
    public func onShutdown(_ hook: @escaping @Sendable () async -> Void) {
        hooks.append(hook)
    }

    /// A new job, ready to run.
    public nonisolated func job(_ name: String, _ args: [String] = [], env: JobEnvironment = JobEnvironment(),
                                stdin: ByteStream = ByteStream()) -> Job {
        Job(engine: self, name: name, args: args, env: env, stdin: stdin)
    }

    /// Per-name counts and timings of every job run so far.
    public var jobStats: [String: JobStats] { stats }

    /// The jobs running now, oldest first.
    public var runningJobs: [RunningJob] { running.values.sorted { $0.id < $1.id } }

    func execute(_ job: Job) async throws {
        guard !isShuttingDown else { throw EngineError.shuttingDown }
        guard let handler = handlers[job.name] else { throw EngineError.noSuchJob(job.name) }
        nextID += 1
        let id = nextID
        let start = ContinuousClock.now
        // The handler runs in a task of its own so that shutdown can cancel it; the caller's
        // cancellation is forwarded, so it stays part of the request's tree.
        let task = Task { try await handler(job) }
        running[id] = RunningJob(id: id, call: job.callDescription, started: start, task: task)
        logger.debug("+job \(job.callDescription)")
        var failure: (any Error)?
        do {
            try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        } catch {
            failure = error
        }
        let elapsed = ContinuousClock.now - start
        running[id] = nil
        stats[job.name, default: JobStats()].record(elapsed, failed: failure != nil)
        logger.debug("-job \(job.callDescription) = \(failure == nil ? "OK" : "ERR: \(failure!)") (\(elapsed))")  // failure is non-nil in that branch
        if running.isEmpty { releaseIdleWaiters() }
        if let failure { throw failure }
    }

    /// Refuses new jobs, waits up to `timeout` for running ones, cancels the rest, then runs the
    /// shutdown hooks in reverse order of registration.
    public func shutdown(timeout: Duration) async {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        if !running.isEmpty {
            let timer = Task {
                try? await Task.sleep(for: timeout)
                self.releaseIdleWaiters()
            }
            await waitUntilIdle()
            timer.cancel()
            for job in running.values {
                logger.warning("cancelling job \(job.call) still running at shutdown")
                job.task.cancel()
            }
        }
        for hook in hooks.reversed() { await hook() }
        hooks = []
        // A shut-down engine runs nothing more; dropping the handlers also frees what they hold
        // (handlers may hold services that hold the engine).
        handlers = [:]
    }

    private func releaseIdleWaiters() {
        for waiter in idleWaiters { waiter.resume() }
        idleWaiters = []
    }

    /// Returns when no job runs, or when `releaseIdleWaiters` is called (the timeout).
    private func waitUntilIdle() async {
        guard !running.isEmpty else { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }
}
