import BerthAPI
import BerthCore
import BerthRuntime
import BerthSync
import BerthTransport
#if canImport(Glibc)
import Glibc
#endif

/// What an exec joins in a running container.
struct ExecContext: Sendable {
    let container: ContainerProcess
    let spec: RuntimeSpec
    let cgroup: Cgroup
    let root: String
    /// The container's environment and user, which the exec's own add to or replace.
    let environment: [String]
    let user: String
}

/// One `docker exec`: created, started once (attached or detached), then exited with a code.
/// Its output goes only to the client that started it; it is not logged.
///
/// Policy for a background child that keeps the exec's stdout open (`sh -c 'sleep 100 &'`):
/// dockerd waits for end of file, so `docker exec` hangs until the child exits (moby#33039).
/// berthd waits for end of file for at most `outputGrace` after the exec's process has exited,
/// then ends the stream: the command's own output is all there (it was written before it
/// exited), and the child goes on without an audience.
actor ExecSession {
    static let outputGrace: Duration = .seconds(1)

    let id: String
    let container: Container
    let request: ExecCreateRequest
    private let environment: ContainerEnvironment
    private var started = false
    private var running = false
    private var exitCode: Int32?
    private var pid: Int32 = 0
    private var console: Console?
    /// A size asked for before the terminal exists (the CLI resizes right after the start).
    private var pendingSize: (height: Int, width: Int)?
    /// Settled with the exit code.
    let ended = OneShot<Int32>()

    init(id: String, container: Container, request: ExecCreateRequest, environment: ContainerEnvironment) {
        self.id = id
        self.container = container
        self.request = request
        self.environment = environment
    }

    var command: [String] { request.Cmd ?? [] }

    /// `exec_create: sh -c echo hi`: the command as dockerd's events name it (a trailing space
    /// when there are no arguments).
    var eventAction: String { (command.first ?? "") + " " + command.dropFirst().joined(separator: " ") }

    func inspect() async -> ExecInspect {
        ExecInspect(ID: id, Running: running, ExitCode: exitCode,
                    ProcessConfig: .init(tty: request.Tty ?? false, entrypoint: command.first ?? "",
                                         arguments: Array(command.dropFirst()), privileged: request.Privileged ?? false,
                                         user: request.User.flatMap { $0.isEmpty ? nil : $0 }),
                    OpenStdin: request.AttachStdin ?? false, OpenStderr: request.AttachStderr ?? false,
                    OpenStdout: request.AttachStdout ?? false, ContainerID: container.id, DetachKeys: request.DetachKeys ?? "",
                    Pid: pid)
    }

    func resize(height: Int, width: Int) throws {
        guard let console else {
            guard request.Tty ?? false, exitCode == nil else { throw APIError.conflict("exec \(id) has no terminal") }
            pendingSize = (height, width)  // applied when the terminal is made
            return
        }
        try console.resize(rows: UInt16(clamping: height), columns: UInt16(clamping: width))
    }

    /// Starts the exec. Detached: returns nil once it runs (a start failure is thrown). Attached:
    /// returns the streams, whose copying starts it (a start failure then goes to the client as
    /// text, and the exit code says it: 127 for a missing command, 126 otherwise).
    func start(detach: Bool, consoleSize: [Int]?) async throws -> ContainerStreams? {
        if exitCode != nil { throw APIError.conflict("exec command \(id) has already run") }
        if started { throw APIError.conflict("exec command \(id) is already running") }
        started = true
        let tty = request.Tty ?? false
        guard !detach else {
            do {
                _ = try await launch(attachment: nil, consoleSize: consoleSize)
            } catch {
                finish(code: (error as? RuntimeError)?.cliExitCode == 127 ? 127 : 126)
                throw error
            }
            return nil
        }
        let attachment = Attachment(stdout: request.AttachStdout ?? false, stderr: request.AttachStderr ?? false)
        return ContainerStreams(tty: tty) { [self] input, output in
            let stdin: PipeChannel?, copier: OutputCopier
            do {
                (stdin, copier) = try await launch(attachment: attachment, consoleSize: consoleSize)
            } catch {
                let message = ErrorKind.classify(error).message
                await finish(code: (error as? RuntimeError)?.cliExitCode == 127 ? 127 : 126)
                try? await output(.stderr, Array(("OCI runtime exec failed: " + message + "\r\n").utf8))
                return
            }
            let ready = OneShot<PipeChannel?>()
            ready.settle(stdin)
            do {
                try await attachment.serve(output: output, input: stdin == nil ? nil : input.map { ($0, ready) }, closeInputAtEnd: !tty,
                                           detachKeys: try DetachKeys(request.DetachKeys ?? ""))
            } catch {
                // The client went away: nobody reads the exec's output any more, and its
                // process gets EPIPE or SIGPIPE at its next write, as under dockerd.
                copier.abandon()
                throw error
            }
            // The client asks for the exit code when the stream ends: it is recorded first.
            _ = await ended.value()
        }
    }

    /// Creates and starts the process with its stdio, and a task that records its exit.
    /// Returns where the client's input goes, and what copies the output.
    private func launch(attachment: Attachment?, consoleSize: [Int]?) async throws -> (input: PipeChannel?, copier: OutputCopier) {
        let context = try await container.execContext()
        let tty = request.Tty ?? false
        var process = context.spec.process ?? RuntimeSpec.Process()
        process.args = command
        process.terminal = tty
        var variables = context.environment
        for variable in request.Env ?? [] {
            let key = variable.split(separator: "=", maxSplits: 1).first.map(String.init) ?? variable
            variables.removeAll { ($0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0) == key }
            variables.append(variable)
        }
        process.env = (context.spec.process?.env ?? []).filter { existing in
            let key = existing.split(separator: "=", maxSplits: 1).first.map(String.init) ?? existing
            return !variables.contains { ($0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0) == key }
        } + variables
        if tty, !(process.env ?? []).contains(where: { $0.hasPrefix("TERM=") }) { process.env?.append("TERM=xterm") }
        if let directory = request.WorkingDir, !directory.isEmpty { process.cwd = directory }
        if let user = request.User, !user.isEmpty {
            let root = context.root
            let resolved = try await BlockingPool.shared.run { try ContainerRoot(path: root).resolveUser(user) }
            process.user = RuntimeSpec.User(uid: resolved.uid, gid: resolved.gid,
                                            additionalGids: resolved.additional.isEmpty ? nil : resolved.additional)
        }
        let privileged = request.Privileged ?? false
        if privileged {
            let all = Capability.knownNames
            process.capabilities = RuntimeSpec.Capabilities(bounding: all, effective: all, inheritable: all, permitted: all)
        }
        let takesInput = request.AttachStdin ?? false
        let streams = try ProcessStreams(terminal: tty, input: takesInput)
        let stdio = streams.stdio
        let executed = try await ContainerProcess.exec(process, in: context.container, namespaces: context.spec.linux?.namespaces ?? [],
                                                       seccomp: privileged ? nil : context.spec.linux?.seccomp,
                                                       binary: environment.initBinary, stdio: stdio, cgroup: context.cgroup)
        if let console = executed.console {
            self.console = console
            if let (height, width) = pendingSize {
                try? console.resize(rows: UInt16(clamping: height), columns: UInt16(clamping: width))
            } else if let size = consoleSize ?? request.ConsoleSize, size.count == 2, size[0] > 0, size[1] > 0 {
                try? console.resize(rows: UInt16(clamping: size[0]), columns: UInt16(clamping: size[1]))
            }
        }
        let (channels, input) = try streams.channels(console: executed.console, input: takesInput)
        let copier = OutputCopier(log: nil, streams: channels.count)
        if let attachment { _ = copier.attach(attachment) }
        for (channel, stream) in channels { Task { await copier.copy(channel, as: stream) } }
        do {
            try await executed.start()
        } catch {
            _ = try? await executed.wait()
            copier.abandon()
            input?.close()
            throw error
        }
        running = true
        pid = executed.pid
        await container.execStarted(id)
        await publish("exec_start: " + eventAction, [:])
        Task { await self.watch(executed, copier: copier, input: input) }
        return (input, copier)
    }

    /// Waits for the exit, and for the output's end within the grace period; then records it.
    private func watch(_ process: ContainerProcess, copier: OutputCopier, input: PipeChannel?) async {
        let status = try? await process.wait()
        let drained = await copier.finished(within: Self.outputGrace)
        if !drained { copier.abandon() }
        await copier.finished()
        input?.close()
        finish(code: status?.code ?? 137)
        await container.execEnded(id)
        await publish("exec_die", ["exitCode": String(status?.code ?? 137)])
    }

    /// An event of the container (its image, name and labels) with this exec's ID.
    func publish(_ action: String, _ attributes: [String: String]) async {
        var all = await container.eventAttributes.merging(attributes) { $1 }
        all["execID"] = id
        await environment.publish(action, container.id, all)
    }

    private func finish(code: Int32) {
        running = false
        exitCode = code
        ended.settle(code)
    }
}
