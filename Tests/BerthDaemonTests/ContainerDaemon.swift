@testable import BerthDaemon
import BerthCore
import BerthTesting
import Foundation

/// A `berthd` child process for container tests, as a user runs it (its own binary is its
/// containers' init), with the busybox test image imported as `bb`, driven through the docker
/// CLI. `finish` removes every container, stops the daemon with SIGTERM and checks that it left
/// no mount, cgroup or process behind.
struct ContainerDaemon {
    let child: ChildDaemon
    let docker: String
    let dataRoot: String

    static var usable: Bool {
        getuid() == 0 && TestImage.available && ChildDaemon.available && ProcessRunner.dockerCLI != nil
    }

    var environment: [String: String] {
        ["DOCKER_HOST": "unix://\(child.socketPath)", "DOCKER_CONFIG": TestDirectory.root + "/docker-config"]
    }

    /// Starts a daemon on `dataRoot` (a new one by default) with `arguments`, and imports the
    /// image unless asked not to.
    static func start(dataRoot: String? = nil, importImage: Bool = true, arguments: [String] = []) async throws -> ContainerDaemon {
        guard let docker = ProcessRunner.dockerCLI else { throw TestClientError("the docker CLI is not installed") }
        let root = dataRoot ?? TestDirectory.path("containers-data")
        let child = try await ChildDaemon(arguments: arguments, dataRoot: root)
        let daemon = ContainerDaemon(child: child, docker: docker, dataRoot: root)
        if importImage {
            let tar = try await TestImage.rootfsTar(in: child.directory)
            let imported = try await daemon.run("import", "-c", "CMD [\"sh\"]", tar, "bb")
            guard imported.status == 0 else { throw TestClientError("import failed: \(imported.stderr)") }
        }
        return daemon
    }

    /// Runs the docker CLI against the daemon.
    @discardableResult
    func run(_ arguments: String..., input: String? = nil) async throws -> ProcessRunner.Outcome {
        try await ProcessRunner.run(docker, arguments, environment: environment, input: input)
    }

    @discardableResult
    func run(arguments: [String], input: String? = nil) async throws -> ProcessRunner.Outcome {
        try await ProcessRunner.run(docker, arguments, environment: environment, input: input)
    }

    /// Runs a docker-py script against the daemon: `client` (a `docker.DockerClient` of it) and
    /// the modules `sys` and `docker` are there before `body`.
    func dockerPy(_ body: String) async throws -> ProcessRunner.Outcome {
        guard let python = ProcessRunner.find("python3") else { throw TestClientError("python3 is not installed") }
        let script = "import sys, docker\nclient = docker.DockerClient(base_url=sys.argv[1], timeout=300)\n" + body
        return try await ProcessRunner.run(python, ["-c", script, "unix://" + child.socketPath])
    }

    /// The lines `docker ps -a --format …` prints.
    func list(_ format: String = "{{.Names}} {{.Status}}") async throws -> [String] {
        try await run("ps", "-a", "--format", format).stdout.split(separator: "\n").map(String.init)
    }

    func inspect(_ name: String, _ format: String) async throws -> String {
        try await run("inspect", "--format", format, name).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes every container, stops the daemon (SIGTERM), and returns what it left behind:
    /// mounts under the data root and container cgroups (empty when all is clean).
    @discardableResult
    func finish(removing: Bool = true) async throws -> [String] {
        if removing {
            let ids = try await run("ps", "-aq", "--no-trunc").stdout.split(separator: "\n").map(String.init)
            if !ids.isEmpty { try await run(arguments: ["rm", "-f"] + ids) }
        }
        child.signal(SIGTERM)
        _ = try await child.waitForExit(limit: .seconds(30))
        return Self.leftovers(dataRoot: dataRoot)
    }

    /// Mounts under `dataRoot` and cgroups of containers whose IDs `dataRoot` named.
    static func leftovers(dataRoot: String) -> [String] {
        let mounts = (SmallFile.text("/proc/self/mountinfo") ?? "").split(separator: "\n")
            .filter { $0.contains(dataRoot) }.map(String.init)
        let ids = Set((try? FileManager.default.contentsOfDirectory(atPath: dataRoot + "/containers")) ?? [])
        let cgroups = ["memory", "pids", "cpu", "freezer"].flatMap { controller -> [String] in
            let parent = "/sys/fs/cgroup/\(controller)/docker"
            return ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).filter(ids.contains).map { parent + "/" + $0 }
        }
        return mounts + cgroups
    }
}
