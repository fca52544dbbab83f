@testable import BerthRuntime
import BerthTesting
import BerthTransport
import CBerthRuntime
import Foundation
import Testing

/// Everything a pipe or terminal gives until its end, read through the reactor.
func readToEnd(_ fd: Int32) async throws -> [UInt8] {
    let channel = try PipeChannel(adopting: fd)
    defer { channel.close() }
    var buffer = ByteBuffer()
    while try await channel.read(into: &buffer) > 0 {}
    return buffer.readableBytes
}

/// What is left to read from a terminal's master once its process has exited (a pty answers
/// EIO after the last byte).
func drainTerminal(_ console: Console) async throws -> String {
    let bytes = try await readToEnd(dup(console.descriptor))
    return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
}

func writeAll(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

@Suite(.enabled(if: TestInit.usable, "needs root, /bin/busybox and berthd built next to the tests"))
struct TerminalTests {
    @Test func aTerminalContainerGetsAPtyOfItsOwnSizedAsAsked() async throws {
        var spec = try busyboxSpec(["sh", "-c", "tty; stty size; [ -t 0 ] && echo interactive; readlink /proc/self/fd/1"])
        spec.process?.terminal = true
        let container = try await ContainerRun.create(spec)
        let console = try #require(container.process.console)
        try console.resize(rows: 24, columns: 80)
        try await container.process.start()
        #expect(try await container.exit().code == 0)
        #expect(try await drainTerminal(console) == "/dev/pts/0\n24 80\ninteractive\n/dev/pts/0\n")
        close(container.out)
        close(container.err)
    }

    @Test func whatIsTypedReachesTheProcess() async throws {
        var spec = try busyboxSpec(["sh", "-c", "read line; echo \"got $line\""])
        spec.process?.terminal = true
        let container = try await ContainerRun.create(spec)
        let console = try #require(container.process.console)
        try await container.process.start()
        writeAll(console.descriptor, "hi\n")
        #expect(try await container.exit().code == 0)
        #expect(try await drainTerminal(console).hasSuffix("got hi\n"), "the terminal echoes the input, then the answer")
        close(container.out)
        close(container.err)
    }

    @Test func stdinThroughAPipeReachesTheProcess() async throws {
        guard let binary = TestInit.binary else { return }
        let input = try StdioPipe(), output = try StdioPipe()
        let process = try await ContainerProcess.create(spec: try busyboxSpec(["cat"]), binary: binary,
                                                        stdio: .init(input: input.read, output: output.write, error: output.write))
        close(input.read)
        close(output.write)
        let created = ContainerRun.Created(process: process, out: output.read, err: -1)
        try await process.start()
        writeAll(input.write, "hello\n")
        close(input.write)
        #expect(try await created.exit().code == 0)
        #expect(try await created.stdout() == "hello\n")
    }

    @Test func anExecGetsATerminalInTheContainersDevpts() async throws {
        guard let binary = TestInit.binary else { return }
        let spec = try busyboxSpec(["sleep", "30"])
        let container = try await ContainerRun.create(spec)
        try await container.process.start()
        var process = execProcess(["tty"])
        process.terminal = true
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(null) }
        let executed = try await ContainerProcess.exec(process, in: container.process, namespaces: spec.linux?.namespaces ?? [],
                                                       seccomp: spec.linux?.seccomp, binary: binary,
                                                       stdio: .init(input: null, output: null, error: null))
        let console = try #require(executed.console)
        try await executed.start()
        _ = try await ContainerRun.Created(process: executed, out: -1, err: -1).exit()
        #expect(try await drainTerminal(console) == "/dev/pts/0\n", "the container's devpts had no terminal yet")
        try container.process.signal(SIGKILL)
        _ = try await container.exit()
        close(container.out)
        close(container.err)
    }
}

/// A terminal's master on the reactor (`PipeChannel`): it reads to the end once the other side
/// is closed, where the kernel answers EIO rather than end of file.
struct TerminalChannelTests {
    @Test func aMastersReadEndsWhenTheSlaveCloses() async throws {
        var master: Int32 = -1
        var name = [CChar](repeating: 0, count: 128)
        try #require(berth_open_pty(&master, &name, name.count) == 0)
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(slave >= 0)
        writeAll(slave, "hello\n")
        close(slave)
        #expect(String(decoding: try await readToEnd(master), as: UTF8.self) == "hello\r\n", "with the line discipline's newline")
    }
}
