@testable import BerthDaemon
import BerthCore
import BerthTesting
import Foundation
import Testing

/// Images through the real docker CLI 28 and docker-py, against an in-process berthd, with the
/// output a user reads checked.
@Suite(.enabled(if: TestImage.available, "needs /bin/busybox (Debian busybox-static) and tar"))
struct ImagesCLITests {
    private func environment(_ harness: DaemonHarness) -> [String: String] {
        ["DOCKER_HOST": "unix://\(harness.socketPath)", "DOCKER_CONFIG": TestDirectory.root + "/docker-config"]
    }

    @Test(.enabled(if: ProcessRunner.dockerCLI != nil, "the docker CLI is not installed"))
    func importImagesInspectHistoryTagSaveRemoveLoadAndPrune() async throws {
        let docker = try #require(ProcessRunner.dockerCLI)
        try await DaemonHarness.with { harness in
            let env = environment(harness)
            let work = harness.daemon.configuration.execRoot
            func run(_ arguments: String...) async throws -> ProcessRunner.Outcome {
                try await ProcessRunner.run(docker, arguments, environment: env)
            }
            let tar = try await TestImage.rootfsTar(in: work)
            let imported = try await run("import", "-c", "CMD [\"sh\"]", "-c", "ENV FOO=bar", "-m", "hello", tar, "bb:1")
            #expect(imported.status == 0, "\(imported.stderr)")
            let id = imported.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.hasPrefix("sha256:") && id.count == 71)
            let short = String(id.dropFirst(7).prefix(12))

            let images = try await run("images")
            let line = try #require(images.stdout.split(separator: "\n").dropFirst().first)
            #expect(line.hasPrefix("bb ") && line.contains(" 1 ") && line.contains(short), "\(images.stdout)")
            #expect(line.contains("MB"), "the size column")

            let cmd = try await run("image", "inspect", "--format", "{{json .Config.Cmd}} {{.Comment}} {{.Os}}", "bb:1")
            #expect(cmd.stdout == "[\"sh\"] hello linux\n", "\(cmd.stderr)")
            let history = try await run("history", "--format", "{{.ID}} {{.Comment}}", "bb:1")
            #expect(history.stdout == "\(short) hello\n")

            #expect(try await run("tag", "bb:1", "localhost:5000/ns/app:v2").status == 0)
            let tagged = try await run("images", "--format", "{{.Repository}}:{{.Tag}}")
            #expect(Set(tagged.stdout.split(separator: "\n")) == ["bb:1", "localhost:5000/ns/app:v2"])

            let archive = work + "/bb.tar"
            let saved = try await run("save", "-o", archive, "bb:1")
            #expect(saved.status == 0, "\(saved.stderr)")
            let removed = try await run("rmi", "bb:1", "localhost:5000/ns/app:v2")
            #expect(removed.status == 0, "\(removed.stderr)")
            #expect(removed.stdout.contains("Untagged: bb:1\n") && removed.stdout.contains("Untagged: localhost:5000/ns/app:v2\n"))
            #expect(removed.stdout.contains("Deleted: \(id)\n"))
            #expect(try await run("images", "-q").stdout.isEmpty)

            let loaded = try await run("load", "-i", archive)
            #expect(loaded.status == 0, "\(loaded.stderr)")
            #expect(loaded.stdout == "Loaded image: bb:1\n")
            #expect(try await run("images", "-q", "--no-trunc").stdout == "\(id)\n", "the same ID")

            let missing = try await run("rmi", "nosuch:img")
            #expect(missing.status != 0)
            #expect(missing.stderr.contains("Error response from daemon: No such image: nosuch:img"))
            let unknown = try await run("image", "inspect", "nosuch")
            #expect(unknown.stderr.contains("No such image: nosuch"))
            let unsaved = try await run("save", "-o", work + "/none.tar", "nosuch")
            #expect(unsaved.status == 1 && unsaved.stderr == "Error response from daemon: reference does not exist\n")

            let dangling = try await run("import", tar)
            #expect(dangling.status == 0)
            let none = try await run("images", "--filter", "dangling=true", "--format", "{{.Repository}}:{{.Tag}}")
            #expect(none.stdout == "<none>:<none>\n")
            let pruned = try await run("image", "prune", "-f")
            #expect(pruned.status == 0, "\(pruned.stderr)")
            #expect(pruned.stdout.contains("Deleted Images:"))
            #expect(pruned.stdout.contains("Total reclaimed space:"))
            #expect(try await run("images", "-q").stdout == "\(short)\n")

            // A hostile archive is refused with the entry it names; pulling and URLs say they cannot.
            let hostile = work + "/hostile.tar"
            try FileManager.default.createDirectory(atPath: work + "/h/sub", withIntermediateDirectories: true)
            try Data([1]).write(to: URL(fileURLWithPath: work + "/h/sub/x"))
            _ = try await ProcessRunner.run(try #require(ProcessRunner.find("tar")),
                                            ["-C", work + "/h", "--transform", "s|sub/x|../../escape|", "-P", "-cf", hostile, "sub/x"])
            let refused = try await run("import", hostile)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(#"archive entry "../../escape""#), "\(refused.stderr)")
            let pulled = try await run("pull", "busybox")
            #expect(pulled.status != 0 && pulled.stderr.contains("cannot pull"), "\(pulled.stderr)")
            let fromURL = try await run("import", "http://127.0.0.1:9/x.tar")
            #expect(fromURL.status != 0 && fromURL.stderr.contains("cannot import from a URL"), "\(fromURL.stderr)")

            let df = try await run("system", "df")
            #expect(df.status == 0, "\(df.stderr)")
            #expect(df.stdout.contains("Images          1 "), "\(df.stdout)")

            let info = try await run("info", "--format", "{{.Images}} {{.Driver}}")
            #expect(info.stdout == "1 \(harness.daemon.imagesBackend.current?.driver.rawValue ?? "?")\n")
        }
    }

    @Test(.enabled(if: ProcessRunner.hasDockerPy, "docker-py is not installed"))
    func dockerPyLoadsSavesTagsAndRemoves() async throws {
        let python = try #require(ProcessRunner.find("python3"))
        try await DaemonHarness.with { harness in
            let tar = try await TestImage.rootfsTar(in: harness.daemon.configuration.execRoot)
            let script = """
            import sys, docker
            c = docker.DockerClient(base_url=sys.argv[1], timeout=300)
            with open(sys.argv[2], "rb") as f:
                out = c.api.import_image_from_data(f.read(), repository="pybb", tag="1")
            image = c.images.get("pybb:1")
            assert image.tags == ["pybb:1"], image.tags
            assert image.attrs["Os"] == "linux"
            image.tag("pybb", "2")
            assert sorted(c.images.get("pybb:1").tags) == ["pybb:1", "pybb:2"]
            data = b"".join(image.save(named=True))
            c.images.remove("pybb:1")
            c.images.remove("pybb:2")
            assert c.images.list() == []
            loaded = c.images.load(data)
            assert [i.id for i in loaded] == [image.id], loaded
            assert [h["Id"] for h in c.api.history("pybb:1")][0] == image.id
            print("ok", image.short_id)
            """
            let run = try await ProcessRunner.run(python, ["-c", script, "unix://\(harness.socketPath)", tar])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout.hasPrefix("ok sha256:"))
        }
    }
}
