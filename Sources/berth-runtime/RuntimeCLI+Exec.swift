import BerthCore
import BerthRuntime
#if canImport(Glibc)
import Glibc
#endif

extension RuntimeCLI {
    /// `exec`: a process from `--process FILE` (the shim's way) or from the arguments after the
    /// ID with `--cwd`, `--env`, `--user uid[:gid]`, `--tty`. With `--detach` it is started and
    /// left (the shim reaps it); without, its exit status is this command's.
    func exec(_ id: String) throws -> Int32 {
        let container = try ContainerDirectory(root: line.root, id: id)
        let record = try container.load()
        guard container.status(of: record) == .running else {
            throw RuntimeError(kind: .conflict, message: "cannot exec in a stopped or paused container")
        }
        let process = try execProcess(record)
        let binary = try initBinary()
        let executed = try ContainerProcess.execBlocking(
            process, inContainerWithPid: record.pid, startTime: record.startTime, namespaces: record.spec.linux?.namespaces ?? [],
            seccomp: record.spec.linux?.seccomp, binary: binary, stdio: .init(input: 0, output: 1, error: 2),
            consoleSocket: line.options["console-socket"], cgroup: record.cgroup)
        try executed.startBlocking()
        if let pidFile = line.options["pid-file"] {
            try DurableFile.write(Array(String(executed.pid).utf8), to: absolute(pidFile), flushed: false)
        }
        if line.flag("detach") { return 0 }
        return try executed.waitBlocking().code
    }

    private func execProcess(_ record: ContainerDirectory.Record) throws -> RuntimeSpec.Process {
        if let file = line.options["process"] {
            guard let text = SmallFile.text(absolute(file)) else { throw RuntimeError.invalid("open \(file): \(errnoText(errno))") }
            do {
                return try RuntimeSpec.Process(jsonDocument: Array(text.utf8))
            } catch {
                throw RuntimeError.invalid("\(file): \(error)")
            }
        }
        let arguments = Array(line.arguments.dropFirst())
        guard !arguments.isEmpty else { throw RuntimeError.invalid("exec needs a command: --process FILE or arguments after the id") }
        // The container's process, with what the command line changes.
        var process = record.spec.process ?? RuntimeSpec.Process()
        process.args = arguments
        process.terminal = line.flag("tty")
        if let cwd = line.options["cwd"] { process.cwd = cwd }
        if let variables = line.options["env"] {
            process.env = (process.env ?? []) + variables.split(separator: "\n").map(String.init)
        }
        if let user = line.options["user"] {
            let parts = user.split(separator: ":")
            guard let uid = parts.first.flatMap({ UInt32($0) }) else { throw RuntimeError.invalid("--user wants uid[:gid], got \(user)") }
            process.user = .init(uid: uid, gid: parts.dropFirst().first.flatMap { UInt32($0) } ?? 0)
        }
        return process
    }
}
