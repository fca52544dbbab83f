@testable import BerthRuntime
import BerthTesting
import BerthTransport
import Foundation

/// The built `berthd` (next to the test binary), whose `init` the containers run, copied into
/// a sealed memfd once.
enum TestInit {
    static let path = BuiltExecutable.path("berthd")

    static let binary: InitBinary? = path.flatMap { try? InitBinary(copying: $0) }

    static var usable: Bool { getuid() == 0 && binary != nil && Busybox.available }
}

/// A container's run as a test sees it: its exit and its output.
struct ContainerRun {
    let exit: ExitStatus
    let stdout: String
    let stderr: String

    /// Creates, starts and waits for a container with `spec`, its stdout and stderr collected.
    static func run(_ spec: RuntimeSpec) async throws -> ContainerRun {
        let container = try await create(spec)
        try await container.process.start()
        let exit = try await container.exit()
        return ContainerRun(exit: exit, stdout: try await container.stdout(), stderr: try await container.stderr())
    }

    /// A created container and the read ends of its output pipes.
    struct Created {
        let process: ContainerProcess
        let out: Int32
        let err: Int32

        func stdout() async throws -> String { try await Self.drain(out) }

        /// The container's exit, waited for at most `limit`: a test never hangs on a container
        /// that does not exit (it is killed, and the test fails). Two minutes: under the thread
        /// sanitizer on a loaded machine a killed container's exit once took more than 30 s to
        /// be seen.
        func exit(within limit: Duration = .seconds(120)) async throws -> ExitStatus {
            let process = process
            return try await withThrowingTaskGroup(of: ExitStatus?.self) { group in
                group.addTask { try await process.wait() }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let exit = first else {
                    try? process.signal(SIGKILL)
                    throw RuntimeError(kind: .system, message: "the container did not exit within \(limit)")
                }
                return exit
            }
        }
        func stderr() async throws -> String { try await Self.drain(err) }

        /// Everything left in a pipe whose writers have gone, read through the reactor.
        private static func drain(_ fd: Int32) async throws -> String {
            String(decoding: try await readToEnd(fd), as: UTF8.self)
        }
    }

    static func create(_ spec: RuntimeSpec) async throws -> Created {
        guard let binary = TestInit.binary else { throw RuntimeError.invalid("berthd is not built next to the tests") }
        let out = try StdioPipe(), err = try StdioPipe()
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(null)
            close(out.write)
            close(err.write)
        }
        do {
            let process = try await ContainerProcess.create(spec: spec, binary: binary,
                                                            stdio: .init(input: null, output: out.write, error: err.write))
            return Created(process: process, out: out.read, err: err.read)
        } catch {
            close(out.read)
            close(err.read)
            throw error
        }
    }
}

/// Docker's defaults on a fresh busybox root, running `args`.
func busyboxSpec(_ args: [String]) throws -> RuntimeSpec {
    var spec = RuntimeSpec.dockerDefaults(root: try Busybox.rootfs(), args: args, environment: ["PATH=/bin", "HOME=/root"])
    spec.hostname = "berth-test"
    return spec
}
