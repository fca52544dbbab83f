@testable import BerthDaemon
import BerthCore
import BerthTesting
import Foundation
import Testing

/// berthd and Debian's dockerd 20.10 exchange images byte for byte; an OCI layout written by
/// skopeo loads into berthd.
@Suite(.enabled(if: TestImage.available && ProcessRunner.dockerCLI != nil, "needs busybox-static, tar and the docker CLI"))
struct InteropTests {
    private func run(_ env: [String: String], _ arguments: String...) async throws -> ProcessRunner.Outcome {
        try await ProcessRunner.run(try #require(ProcessRunner.dockerCLI), arguments, environment: env)
    }

    @Test(.enabled(if: ReferenceDockerd.binary != nil && geteuid() == 0, "needs dockerd (apt-get install docker.io) and root"))
    func imagesTravelBetweenDockerdAndBerthdWithTheirIDs() async throws {
        try await ReferenceDockerd.with { dockerd in
            try await DaemonHarness.with { harness in
                let berth = ["DOCKER_HOST": "unix://\(harness.socketPath)", "DOCKER_CONFIG": TestDirectory.root + "/docker-config"]
                let work = harness.daemon.configuration.execRoot
                // dockerd → berthd.
                let fromDocker = try await TestImage.rootfsTar(in: work, marker: "docker")
                #expect(try await run(dockerd.environment, "import", "-c", "CMD [\"sh\"]", fromDocker, "bbd:1").status == 0)
                #expect(try await run(dockerd.environment, "tag", "bbd:1", "bbd:alias").status == 0)
                let dockerArchive = work + "/from-dockerd.tar"
                #expect(try await run(dockerd.environment, "save", "-o", dockerArchive, "bbd:1", "bbd:alias").status == 0)
                let loaded = try await run(berth, "load", "-i", dockerArchive)
                #expect(loaded.status == 0, "\(loaded.stderr)")
                let format = ["image", "inspect", "--format", "{{.Id}} {{json .RepoTags}} {{json .RootFS.Layers}}"]
                let inDocker = try await ProcessRunner.run(try #require(ProcessRunner.dockerCLI), format + ["bbd:1"], environment: dockerd.environment)
                let inBerth = try await ProcessRunner.run(try #require(ProcessRunner.dockerCLI), format + ["bbd:1"], environment: berth)
                #expect(inBerth.stdout == inDocker.stdout, "same ID, tags and layer digests")
                #expect(inBerth.stdout.contains("\"bbd:alias\""))

                // berthd → dockerd, which runs it.
                let fromBerth = try await TestImage.rootfsTar(in: work, marker: "berth")
                #expect(try await run(berth, "import", "-c", "CMD [\"sh\"]", fromBerth, "bbb:1").status == 0)
                let berthArchive = work + "/from-berthd.tar"
                #expect(try await run(berth, "save", "-o", berthArchive, "bbb:1").status == 0)
                let intoDocker = try await run(dockerd.environment, "load", "-i", berthArchive)
                #expect(intoDocker.status == 0, "\(intoDocker.stderr)")
                let idInBerth = try await run(berth, "image", "inspect", "--format", "{{.Id}}", "bbb:1")
                let idInDocker = try await run(dockerd.environment, "image", "inspect", "--format", "{{.Id}}", "bbb:1")
                #expect(idInDocker.stdout == idInBerth.stdout)
                let ran = try await run(dockerd.environment, "run", "--rm", "--network", "none", "bbb:1", "cat", "/etc/marker")
                #expect(ran.status == 0, "\(ran.stderr)")
                #expect(ran.stdout == "berth")

                // An OCI layout written by skopeo, from dockerd's archive.
                if let skopeo = ProcessRunner.find("skopeo") {
                    let oci = work + "/oci.tar"
                    let copied = try await ProcessRunner.run(skopeo, ["copy", "docker-archive:\(dockerArchive):bbd:1", "oci-archive:\(oci):bbd:oci"])
                    #expect(copied.status == 0, "\(copied.stderr)")
                    let ociLoaded = try await run(berth, "load", "-i", oci)
                    #expect(ociLoaded.status == 0, "\(ociLoaded.stderr)")
                    #expect(ociLoaded.stdout.contains("Loaded image"))
                    let layers = try await run(berth, "image", "inspect", "--format", "{{json .RootFS.Layers}}",
                                               ociLoaded.stdout.contains("bbd:oci") ? "bbd:oci" : "bbd:1")
                    #expect(inDocker.stdout.contains(layers.stdout.trimmingCharacters(in: .whitespacesAndNewlines)),
                            "the OCI layout's layers are dockerd's")
                }
            }
        }
    }
}
