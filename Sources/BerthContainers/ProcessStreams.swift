import BerthAPI
import BerthRuntime
import BerthTransport
#if canImport(Glibc)
import Glibc
#endif

/// A container process's standard streams from the daemon's side, for a container's PID 1 and
/// for an exec alike: pipes for stdin (when it takes input), stdout and stderr, or none with a
/// terminal (whose master comes back from the runtime); then, once the process exists, the
/// daemon's ends as channels on the reactor. Every descriptor it holds is closed by `channels`
/// or, if the process never started, when it goes away.
final class ProcessStreams {
    private let stdin: StdioPipe?
    private let stdout: StdioPipe?
    private let stderr: StdioPipe?
    private let null: Int32
    private var open = true

    /// - Parameters:
    ///   - terminal: the process gets a terminal instead of pipes.
    ///   - input: the process reads input from a client.
    init(terminal: Bool, input: Bool) throws {
        null = Glibc.open("/dev/null", O_RDWR | O_CLOEXEC)
        stdin = input && !terminal ? try StdioPipe() : nil
        stdout = terminal ? nil : try StdioPipe()
        stderr = terminal ? nil : try StdioPipe()
    }

    deinit { closeAll() }

    /// What the process gets as its descriptors 0, 1 and 2 (/dev/null where it has no pipe).
    var stdio: ContainerProcess.Stdio {
        ContainerProcess.Stdio(input: stdin?.read ?? null, output: stdout?.write ?? null, error: stderr?.write ?? null)
    }

    /// The daemon's ends as channels once the process exists: the terminal's master (its one
    /// output stream, and its input when `input`), or the pipes' ends. The process's ends close here.
    func channels(console: Console?, input: Bool) throws -> (output: [(PipeChannel, OutputStream)], input: PipeChannel?) {
        defer { closeAll() }
        if let console {
            return ([(try PipeChannel(adopting: dup(console.descriptor)), .stdout)],
                    input ? try PipeChannel(adopting: dup(console.descriptor)) : nil)
        }
        var output: [(PipeChannel, OutputStream)] = []
        if let stdout { output.append((try PipeChannel(adopting: dup(stdout.read)), .stdout)) }
        if let stderr { output.append((try PipeChannel(adopting: dup(stderr.read)), .stderr)) }
        return (output, try stdin.map { try PipeChannel(adopting: dup($0.write)) })
    }

    private func closeAll() {
        guard open else { return }
        open = false
        for pipe in [stdin, stdout, stderr].compactMap({ $0 }) {
            close(pipe.read)
            close(pipe.write)
        }
        if null >= 0 { close(null) }
    }
}
