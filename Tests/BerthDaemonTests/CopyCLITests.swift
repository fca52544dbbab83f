@testable import BerthDaemon
import BerthCore
import BerthTesting
import Foundation
import Testing

/// `docker cp` both ways through the real docker CLI 28 against a berthd child process.
@Suite(.enabled(if: ContainerDaemon.usable, "needs root, /bin/busybox, the docker CLI and berthd built next to the tests"))
struct CopyCLITests {
    /// A host directory to copy from: `a.txt`, `sub/b.txt`, `link` → `a.txt`, and `big.bin`
    /// (12 MB of random bytes).
    private static func source() throws -> (directory: String, big: Data) {
        let directory = TestDirectory.path("cp-source")
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: directory + "/a.txt"))
        try Data("nested\n".utf8).write(to: URL(fileURLWithPath: directory + "/sub/b.txt"))
        try manager.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "a.txt")
        var generator = SystemRandomNumberGenerator()
        let big = Data((0..<(12 << 20) / 8).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } })
        try big.write(to: URL(fileURLWithPath: directory + "/big.bin"))
        return (directory, big)
    }

    @Test func copyingInAndOutFollowsDockersRules() async throws {
        let daemon = try await ContainerDaemon.start()
        let (source, big) = try Self.source()
        let out = TestDirectory.path("cp-out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        #expect(try await daemon.run("run", "-d", "--name", "box", "bb", "sleep", "1000").status == 0)
        @discardableResult func exec(_ command: String) async throws -> String {
            try await daemon.run("exec", "box", "sh", "-c", command).stdout
        }

        // In: a file into a directory, a directory to a new name, a directory's contents (`/.`).
        let file = try await daemon.run("cp", source + "/a.txt", "box:/tmp/")
        #expect(file.status == 0, "\(file.stderr)")
        #expect(try await exec("cat /tmp/a.txt") == "hello\n")
        let directory = try await daemon.run("cp", source, "box:/tmp/copy")
        #expect(directory.status == 0, "\(directory.stderr)")
        #expect(try await exec("cd /tmp/copy && ls && readlink link && cat sub/b.txt && wc -c < big.bin")
                == "a.txt\nbig.bin\nlink\nsub\na.txt\nnested\n\(big.count)\n")
        try await exec("mkdir /tmp/existing")
        try await daemon.run("cp", source + "/sub/.", "box:/tmp/existing")
        #expect(try await exec("ls /tmp/existing") == "b.txt\n", "the contents, not the directory")
        try await daemon.run("cp", source + "/sub", "box:/tmp/existing")
        #expect(try await exec("ls /tmp/existing") == "b.txt\nsub\n", "the directory itself into an existing one")

        // Out: the same, and the 12 MB file byte for byte.
        let back = try await daemon.run("cp", "box:/tmp/copy", out + "/back")
        #expect(back.status == 0, "\(back.stderr)")
        #expect(FileManager.default.contents(atPath: out + "/back/big.bin") == big)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/back/link") == "a.txt")
        #expect(FileManager.default.contents(atPath: out + "/back/sub/b.txt") == Data("nested\n".utf8))
        try FileManager.default.createDirectory(atPath: out + "/contents", withIntermediateDirectories: true)
        try await daemon.run("cp", "box:/tmp/copy/sub/.", out + "/contents")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out + "/contents") == ["b.txt"])

        // Symbolic links in the container: copied as links, or followed with -L.
        try await exec("ln -s /tmp/copy/sub /tmp/sublink")
        try await daemon.run("cp", "box:/tmp/sublink", out + "/asLink")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/asLink") == "/tmp/copy/sub")
        try await daemon.run("cp", "-L", "box:/tmp/sublink", out + "/followed")
        #expect(FileManager.default.contents(atPath: out + "/followed/b.txt") == Data("nested\n".utf8))
        let intoLink = try await daemon.run("cp", source + "/a.txt", "box:/tmp/sublink")
        #expect(intoLink.status == 0, "\(intoLink.stderr)")
        #expect(try await exec("cat /tmp/copy/sub/a.txt") == "hello\n", "a link to a directory is a directory to copy into")

        // Missing paths, as the CLI reports them.
        let missing = try await daemon.run("cp", "box:/nosuch", out + "/nosuch")
        #expect(missing.status == 1 && missing.stderr.contains("Could not find the file /nosuch in container box"), "\(missing.stderr)")
        let noParent = try await daemon.run("cp", source + "/a.txt", "box:/nosuch/dir/a.txt")
        #expect(noParent.status == 1 && noParent.stderr.contains("Could not find the file /nosuch/dir in container box"),
                "\(noParent.stderr)")
        let intoFile = try await daemon.run("cp", source + "/sub", "box:/tmp/a.txt/")
        #expect(intoFile.status == 1, "\(intoFile.stdout)")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func stoppedAndReadOnlyContainers() async throws {
        let daemon = try await ContainerDaemon.start()
        let (source, _) = try Self.source()
        let out = TestDirectory.path("cp-stopped")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try await daemon.run("create", "--name", "idle", "bb", "cat", "/copied/a.txt")
        let copied = try await daemon.run("cp", source, "idle:/copied")
        #expect(copied.status == 0, "\(copied.stderr)")
        let started = try await daemon.run("start", "-a", "idle")
        #expect(started.stdout == "hello\n", "what was copied into the created container is there when it runs: \(started.stderr)")
        try await daemon.run("cp", "idle:/copied/sub/b.txt", out + "/b.txt")
        #expect(FileManager.default.contents(atPath: out + "/b.txt") == Data("nested\n".utf8), "from an exited container")
        // The CLI may exit as soon as the archive has ended, before the daemon's response has
        // (the root is unmounted between the two).
        #expect(await eventually { ContainerDaemon.leftovers(dataRoot: daemon.dataRoot).isEmpty },
                "the stopped container's root is unmounted again")

        // -a: what is copied in belongs to the container's user; without it, to the archive's owner.
        try await daemon.run("run", "-d", "--name", "owned", "-u", "nobody", "bb", "sleep", "1000")
        try await daemon.run("cp", "-a", source + "/a.txt", "owned:/tmp/as-user.txt")
        try await daemon.run("cp", source + "/a.txt", "owned:/tmp/as-archive.txt")
        let owners = try await daemon.run("exec", "owned", "sh", "-c", "ls -ln /tmp/as-user.txt /tmp/as-archive.txt")
        let columns = owners.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(columns.count == 2 && columns[0][2...3] == ["0", "0"] && columns[1][2...3] == ["65534", "65534"],
                "ls sorts the archive's copy first: \(owners.stdout)")

        try await daemon.run("volume", "create", "data")
        try await daemon.run("run", "-d", "--read-only", "--name", "ro", "-v", "data:/data", "-v", "\(out):/host:ro",
                             "bb", "sleep", "1000")
        let refused = try await daemon.run("cp", source + "/a.txt", "ro:/")
        #expect(refused.status == 1 && refused.stderr.contains("container rootfs is marked read-only"), "\(refused.stderr)")
        let readOnlyBind = try await daemon.run("cp", source + "/a.txt", "ro:/host")
        #expect(readOnlyBind.status == 1 && readOnlyBind.stderr.contains("mounted volume is marked read-only"), "\(readOnlyBind.stderr)")
        let intoVolume = try await daemon.run("cp", source + "/a.txt", "ro:/data/")
        #expect(intoVolume.status == 0, "\(intoVolume.stderr)")
        #expect(try await daemon.run("exec", "ro", "cat", "/data/a.txt").stdout == "hello\n", "a volume is the container's too")
        // A directory copied out holds what a volume mounted inside it holds, as the container sees it.
        try await daemon.run("run", "-d", "--name", "nested", "-v", "data:/srv/data", "bb", "sleep", "1000")
        let nested = try await daemon.run("cp", "nested:/srv", out + "/srv")
        #expect(nested.status == 0, "\(nested.stderr)")
        #expect(FileManager.default.contents(atPath: out + "/srv/data/a.txt") == Data("hello\n".utf8))
        try await daemon.run("cp", "ro:/host/b.txt", out + "/fromBind.txt")
        #expect(FileManager.default.contents(atPath: out + "/fromBind.txt") == Data("nested\n".utf8))
        #expect(try await daemon.finish().isEmpty)
    }

    @Test func anArchiveCannotReachOutsideTheDirectory() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "target", "bb", "sleep", "1000")
        let marker = "berth-escape-\(UUID().uuidString)"
        // Entries that climb out with `..`, and a link to / with a file written through it.
        let tar = TestDirectory.path("hostile") + ".tar"
        let python = try #require(ProcessRunner.find("python3"))
        let made = try await ProcessRunner.run(python, ["-c", """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w") as tar:
                for name, data in [("../../../../../../tmp/\(marker)", b"x")]:
                    info = tarfile.TarInfo(name); info.size = len(data); tar.addfile(info, io.BytesIO(data))
            """, tar])
        #expect(made.status == 0, "\(made.stderr)")
        let client = try await daemon.child.client()
        let climbing = try await client.request("PUT", "/v1.41/containers/target/archive?path=/tmp",
                                                headers: [("Content-Type", "application/x-tar")],
                                                body: Array(try Data(contentsOf: URL(fileURLWithPath: tar))))
        #expect(climbing.status == 400, "\(climbing.bodyText)")
        #expect(climbing.bodyText.contains("leads outside"), "\(climbing.bodyText)")
        let linked = try await ProcessRunner.run(python, ["-c", """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w") as tar:
                link = tarfile.TarInfo("escape"); link.type = tarfile.SYMTYPE; link.linkname = "/"; tar.addfile(link)
                info = tarfile.TarInfo("escape/tmp/\(marker)"); info.size = 1; tar.addfile(info, io.BytesIO(b"y"))
            """, tar])
        #expect(linked.status == 0, "\(linked.stderr)")
        let throughLink = try await client.request("PUT", "/v1.41/containers/target/archive?path=/tmp",
                                                   headers: [("Content-Type", "application/x-tar")],
                                                   body: Array(try Data(contentsOf: URL(fileURLWithPath: tar))))
        #expect(throughLink.status == 200, "\(throughLink.bodyText)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/" + marker), "nothing reached the host")
        let inContainer = try await daemon.run("exec", "target", "sh", "-c", "ls /tmp/\(marker) /tmp/tmp/\(marker) 2>&1; true")
        #expect(inContainer.stdout.contains("/tmp/tmp/\(marker)\n") && inContainer.stdout.contains("No such file"),
                "the link was followed inside /tmp only: \(inContainer.stdout)")
        let missingPath = try await client.request("HEAD", "/v1.41/containers/target/archive")
        #expect(missingPath.status == 400)
        let stat = try await client.request("HEAD", "/v1.41/containers/target/archive?path=/etc/passwd")
        let header = try #require(stat.headers.first { $0.0.lowercased() == "x-docker-container-path-stat" }?.1)
        let decoded = try #require(Data(base64Encoded: header))
        let fields = try #require(try JSONSerialization.jsonObject(with: decoded) as? [String: Any])
        #expect(fields["name"] as? String == "passwd" && fields["mode"] as? Int == 0o644 && (fields["size"] as? Int ?? 0) > 0,
                "\(fields)")
        #expect(try await daemon.finish().isEmpty)
    }

    @Test(.enabled(if: ProcessRunner.hasDockerPy, "docker-py is not installed"))
    func dockerPyPutsAndGetsArchives() async throws {
        let daemon = try await ContainerDaemon.start()
        try await daemon.run("run", "-d", "--name", "pybox", "bb", "sleep", "1000")
        let outcome = try await daemon.dockerPy("""
        import io, tarfile
        box = client.containers.get("pybox")
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w") as tar:
            info = tarfile.TarInfo("greeting"); body = b"hello from python\\n"; info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        assert box.put_archive("/tmp", data.getvalue())
        stream, stat = box.get_archive("/tmp/greeting")
        assert stat["name"] == "greeting" and stat["size"] == 18, stat
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            assert tar.extractfile("greeting").read() == b"hello from python\\n"
        try:
            box.get_archive("/nosuch")
            raise SystemExit("no error")
        except docker.errors.NotFound as error:
            assert "Could not find the file /nosuch in container " in str(error), error
        print("ok")
        """)
        #expect(outcome.stdout == "ok\n", "\(outcome.stderr)")
        #expect(try await daemon.finish().isEmpty)
    }
}
