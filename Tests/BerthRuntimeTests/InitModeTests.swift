@testable import BerthRuntime
import BerthTesting
import BerthTransport
import Foundation
import Testing

/// Creates a container whose init stays PID 1 (`docker run --init`) and starts it.
func startWithInit(_ spec: RuntimeSpec) async throws -> ContainerRun.Created {
    guard let binary = TestInit.binary else { throw RuntimeError.invalid("berthd is not built next to the tests") }
    let out = try StdioPipe()
    let null = open("/dev/null", O_RDWR | O_CLOEXEC)
    defer {
        close(null)
        close(out.write)
    }
    let process = try await ContainerProcess.create(spec: spec, binary: binary, stdio: .init(input: null, output: out.write, error: out.write),
                                                    staysAsInit: true)
    try await process.start()
    return ContainerRun.Created(process: process, out: out.read, err: -1)
}

@Suite(.enabled(if: TestInit.usable, "needs root, /bin/busybox and berthd built next to the tests"))
struct InitModeTests {
    @Test func theCommandRunsAsTheChildOfInitWithItsExitCode() async throws {
        let container = try await startWithInit(try busyboxSpec(["sh", "-c", "echo $$; exit 5"]))
        #expect(try await container.exit() == ExitStatus(code: 5, signal: nil))
        #expect(try await container.stdout() == "2\n", "PID 1 is init, the command PID 2")
    }

    @Test func signalsAreForwardedToTheCommand() async throws {
        let script = "trap 'echo got TERM; exit 3' TERM; echo ready; while true; do sleep 0.05; done"
        let container = try await startWithInit(try busyboxSpec(["sh", "-c", script]))
        // The trap is set once "ready" is out.
        let first = try await BlockingPool.shared.run {
            var buffer = [UInt8](repeating: 0, count: 6)
            return read(container.out, &buffer, buffer.count) == 6 ? String(decoding: buffer, as: UTF8.self) : ""
        }
        #expect(first == "ready\n")
        try container.process.signal(SIGTERM)
        #expect(try await container.exit() == ExitStatus(code: 3, signal: nil))
        #expect(try await container.stdout() == "got TERM\n")
    }

    @Test func orphansAreReapedByInitAndNotWithoutIt() async throws {
        // The subshell exits at once, orphaning its `sleep` to PID 1; the command then becomes a
        // `sleep` that reaps nobody. `ps` in the container tells, once the orphan has exited:
        // asked until it shows one `sleep` running and nothing else of the orphan, or the orphan
        // as a zombie (at most 10 s: a loaded machine may take long to run the orphan at all).
        let spec = try busyboxSpec(["sh", "-c", "(sleep 0.1 &); exec sleep 30"])
        func zombies(_ container: ContainerRun.Created) async throws -> [Substring] {
            var lines: [Substring] = []
            for _ in 0..<50 {
                try await Task.sleep(for: .milliseconds(200))
                let table = try await execute(execProcess(["ps", "-o", "stat,comm"]), in: container, spec: spec).stdout
                lines = table.split(separator: "\n")
                let sleeps = lines.filter { $0.hasSuffix(" sleep") }
                if sleeps.count == 1 || lines.contains(where: { $0.hasPrefix("Z") }) { break }
            }
            try container.process.signal(SIGKILL)
            _ = try await container.exit()
            close(container.out)
            return lines.filter { $0.hasPrefix("Z") }
        }
        #expect(try await zombies(try await startWithInit(spec)).isEmpty, "init reaped the orphan")
        let plain = try await ContainerRun.create(spec)
        try await plain.process.start()
        close(plain.err)
        #expect(try await zombies(plain).count == 1, "without init, the orphan stays a zombie")
    }

    @Test func aCommandKilledBySignalGivesInit128PlusTheSignal() async throws {
        let container = try await startWithInit(try busyboxSpec(["sh", "-c", "kill -KILL $$"]))
        #expect(try await container.exit() == ExitStatus(code: 137, signal: nil), "init exits 137 itself")
        close(container.out)
    }
}
