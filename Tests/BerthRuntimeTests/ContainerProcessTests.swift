@testable import BerthRuntime
import BerthTesting
import Foundation
import Testing

@Suite(.enabled(if: TestInit.usable, "needs root, /bin/busybox (Debian busybox-static) and berthd built next to the tests"))
struct ContainerProcessTests {
    @Test func aContainerRunsItsCommandAndReportsItsExit() async throws {
        let run = try await ContainerRun.run(try busyboxSpec(["echo", "hi"]))
        #expect(run.exit == ExitStatus(code: 0, signal: nil))
        #expect(run.stdout == "hi\n")
        #expect(run.stderr == "")
    }

    @Test(arguments: [0, 3, 42])
    func exitCodesComeBack(_ code: Int32) async throws {
        let run = try await ContainerRun.run(try busyboxSpec(["sh", "-c", "exit \(code)"]))
        #expect(run.exit.code == code)
    }

    @Test func theCommandIsPID1OfItsOwnNamespacesWithItsHostname() async throws {
        let run = try await ContainerRun.run(try busyboxSpec(["sh", "-c", "echo $$; hostname; cat /etc/passwd | head -1"]))
        #expect(run.stdout == "1\nberth-test\nroot:x:0:0:root:/root:/bin/sh\n")
    }

    @Test func aMissingCommandIsRefusedInDockersWords() async throws {
        let error = await #expect(throws: RuntimeError.self) { _ = try await ContainerRun.create(try busyboxSpec(["nosuch"])) }
        #expect(error?.message == "exec: \"nosuch\": executable file not found in $PATH")
        #expect(error?.cliExitCode == 127)
        let absolute = await #expect(throws: RuntimeError.self) { _ = try await ContainerRun.create(try busyboxSpec(["/bin/nosuch"])) }
        #expect(absolute?.message == "exec: \"/bin/nosuch\": stat /bin/nosuch: no such file or directory")
        let directory = await #expect(throws: RuntimeError.self) { _ = try await ContainerRun.create(try busyboxSpec(["/etc"])) }
        #expect(directory?.cliExitCode == 126)
    }

    @Test func noDescriptorOfTheCreatorLeaksIn() async throws {
        // `; true` keeps the shell from exec'ing ls, so that PID 1 stays the shell, whose descriptors ls lists.
        let run = try await ContainerRun.run(try busyboxSpec(["sh", "-c", "ls /proc/1/fd; true"]))
        #expect(run.stdout.split(separator: "\n") == ["0", "1", "2"], "\(run.stdout)")
    }

    @Test func devHasDockersNodesAndLinks() async throws {
        let run = try await ContainerRun.run(try busyboxSpec(["sh", "-c", "ls /dev; readlink /dev/ptmx; readlink /dev/fd"]))
        let names = Set(run.stdout.split(separator: "\n").map(String.init))
        for name in ["null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm", "mqueue", "fd", "stdin", "stdout",
                     "stderr", "core", "pts/ptmx", "/proc/self/fd"] {
            #expect(names.contains(name), "\(name) in \(run.stdout)")
        }
    }

    @Test func maskedAndReadOnlyPathsHoldAndPrivilegedActsFail() async throws {
        let script = """
            cat /proc/kcore | wc -c; ls /sys/firmware | wc -l
            echo berth > /proc/sys/kernel/domainname && echo sysctl-written
            [ -e /proc/sysrq-trigger ] && echo h > /proc/sysrq-trigger && echo sysrq-written
            mount -t tmpfs none /mnt && echo mounted
            unshare -n true && echo unshared
            grep CapEff /proc/self/status
            """
        let run = try await ContainerRun.run(try busyboxSpec(["sh", "-c", script]))
        let lines = run.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines == ["0", "0", "CapEff:\t00000000a80425fb"], "stdout: \(run.stdout) stderr: \(run.stderr)")
    }

    @Test func dockersSeccompProfileIsLoaded() async throws {
        let run = try await ContainerRun.run(try busyboxSpec(["grep", "^Seccomp:", "/proc/self/status"]))
        #expect(run.stdout == "Seccomp:\t2\n", "filter mode")
    }

    @Test func seccompDeniesWhatTheProfileDeniesWhateverTheCapabilities() async throws {
        // CAP_SYS_ADMIN held, but a profile made for a container without it: unshare is refused.
        var spec = try busyboxSpec(["unshare", "-n", "true"])
        let capabilities = Capability.dockerDefaults + ["CAP_SYS_ADMIN"]
        spec.process?.capabilities = .init(bounding: capabilities, effective: capabilities, inheritable: capabilities,
                                           permitted: capabilities)
        spec.linux?.seccomp = SeccompProfile.dockerDefault(capabilities: Capability.dockerDefaults)
        let denied = try await ContainerRun.run(spec)
        #expect(denied.exit.code != 0)
        #expect(denied.stderr.contains("Operation not permitted"), "\(denied.stderr)")
        // The profile for a container that holds it allows it.
        spec.root = .init(path: try Busybox.rootfs())
        spec.linux?.seccomp = SeccompProfile.dockerDefault(capabilities: capabilities)
        let allowed = try await ContainerRun.run(spec)
        #expect(allowed.exit.code == 0, "\(allowed.stderr)")
    }

    @Test func aPrivilegedContainerMayMountUnshareAndWriteSysrq() async throws {
        var spec = try busyboxSpec(["sh", "-c", """
            mount -t tmpfs none /mnt && echo mounted
            unshare -n true && echo unshared
            echo berth > /proc/sys/kernel/domainname && cat /proc/sys/kernel/domainname
            [ -e /proc/sysrq-trigger ] || echo sysrq-written  # a kernel without CONFIG_MAGIC_SYSRQ
            [ -e /proc/sysrq-trigger ] && echo h > /proc/sysrq-trigger && echo sysrq-written
            """])
        let all = Capability.boundingSet()
        spec.process?.capabilities = .init(bounding: all, effective: all, inheritable: all, permitted: all)
        spec.linux?.seccomp = nil
        spec.linux?.maskedPaths = []
        spec.linux?.readonlyPaths = []
        let run = try await ContainerRun.run(spec)
        #expect(run.stdout == "mounted\nunshared\nberth\nsysrq-written\n", "\(run.stderr)")
    }

    @Test func bindMountsOfDirectoriesAndFilesHonourReadOnly() async throws {
        let shared = try TestDirectory.make("shared")
        let readOnly = try TestDirectory.make("readonly")
        let hostname = TestDirectory.path("hostname")
        try "from-the-host\n".write(toFile: hostname, atomically: true, encoding: .utf8)
        var spec = try busyboxSpec(["sh", "-c", """
            echo written > /data/file && echo rw-ok
            echo written > /config/file || echo ro-refused
            cat /etc/hostname
            """])
        spec.mounts? += [
            .init(destination: "/data", type: "bind", source: shared, options: ["rbind", "rw"]),
            .init(destination: "/config", type: "bind", source: readOnly, options: ["rbind", "ro"]),
            .init(destination: "/etc/hostname", type: "bind", source: hostname, options: ["rbind", "ro"]),
        ]
        let run = try await ContainerRun.run(spec)
        #expect(run.stdout == "rw-ok\nro-refused\nfrom-the-host\n", "\(run.stderr)")
        #expect(try String(contentsOfFile: shared + "/file", encoding: .utf8) == "written\n", "the write reached the host")
        #expect(!FileManager.default.fileExists(atPath: readOnly + "/file"))
    }

    @Test func aNewNetworkNamespaceHasLoopbackUp() async throws {
        let run = try await ContainerRun.run(try busyboxSpec(["sh", "-c", "cat /sys/class/net/lo/flags; ls /sys/class/net"]))
        #expect(run.stdout == "0x9\nlo\n", "IFF_UP | IFF_LOOPBACK, and no other interface")
    }

    @Test func theHostNetworkIsTheHosts() async throws {
        var spec = try busyboxSpec(["readlink", "/proc/self/ns/net"])
        spec.linux?.namespaces?.removeAll { $0.type == "network" }
        let run = try await ContainerRun.run(spec)
        let host = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        #expect(run.stdout == host + "\n")
    }

    @Test func aContainerJoinsAnothersNamespacesByPath() async throws {
        let first = try await ContainerRun.create(try busyboxSpec(["sleep", "30"]))
        try await first.process.start()
        let network = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(first.process.pid)/ns/net")
        var spec = try busyboxSpec(["readlink", "/proc/self/ns/net"])
        let pid = first.process.pid
        let namespaces = spec.linux?.namespaces?.map {
            $0.type == "network" ? RuntimeSpec.Namespace(type: "network", path: "/proc/\(pid)/ns/net") : $0
        }
        spec.linux?.namespaces = namespaces
        let second = try await ContainerRun.run(spec)
        #expect(second.stdout == network + "\n")
        try first.process.signal(SIGKILL)
        _ = try await first.exit()
        close(first.out)
        close(first.err)
    }

    @Test func nothingIsLeftOnTheHost() async throws {
        let spec = try busyboxSpec(["true"])
        let root = try #require(spec.root?.path)
        _ = try await ContainerRun.run(spec)
        let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mounts.contains(root), "the container's mounts stayed in its namespace")
    }

    /// Init's constructor fails before it reads its configuration, which is already on its way:
    /// the constructor's own error is what the caller gets.
    @Test func aNamespaceThatCannotBeJoinedIsReportedByItsStep() async throws {
        func joining(_ type: String, at path: String) throws -> RuntimeSpec {
            var spec = try busyboxSpec(["true"])
            let namespaces = spec.linux?.namespaces?.map { $0.type == type ? RuntimeSpec.Namespace(type: type, path: path) : $0 }
            spec.linux?.namespaces = namespaces
            return spec
        }
        let spec = try joining("network", at: "/proc/self/ns/uts")
        let error = await #expect(throws: RuntimeError.self) { _ = try await ContainerRun.create(spec) }
        #expect(error?.message == "setns: Invalid argument")
        let missing = try joining("ipc", at: "/proc/self/ns/nosuch")
        let openError = await #expect(throws: RuntimeError.self) { _ = try await ContainerRun.create(missing) }
        #expect(openError?.message == "open namespace: No such file or directory")
    }

    @Test func aRootThatDoesNotExistFailsCleanly() async throws {
        var spec = try busyboxSpec(["true"])
        spec.root = .init(path: "/nonexistent/rootfs")
        let error = await #expect(throws: RuntimeError.self) { _ = try await ContainerRun.create(spec) }
        #expect(error?.message.contains("/nonexistent/rootfs") == true, "\(String(describing: error))")
    }
}
