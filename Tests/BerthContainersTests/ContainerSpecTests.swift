@testable import BerthContainers
import BerthAPI
import BerthCore
import BerthRuntime
import Testing

/// A container's configuration turned into its process's: checks, capabilities, mounts, volumes.
struct ContainerSpecTests {
    private func spec(_ configure: (inout HostConfig) -> Void = { _ in }, command: [String]? = ["true"]) -> ContainerSpec {
        var config = ContainerConfig()
        config.Cmd = command
        var host = HostConfig()
        configure(&host)
        return ContainerSpec(id: String(repeating: "a", count: 64), config: config, hostConfig: host)
    }

    @Test func aCommandIsNeeded() {
        #expect(throws: APIError.invalidParameter("No command specified")) { try spec(command: nil).check() }
    }

    @Test func capabilitiesAreDockersAdjusted() throws {
        #expect(try spec().capabilities() == Capability.dockerDefaults)
        let added = try spec { $0.CapAdd = ["net_admin"]; $0.CapDrop = ["CHOWN"] }.capabilities()
        #expect(added.contains("CAP_NET_ADMIN") && !added.contains("CAP_CHOWN") && added.count == 14)
        #expect(try spec { $0.CapDrop = ["ALL"]; $0.CapAdd = ["CAP_KILL"] }.capabilities() == ["CAP_KILL"])
        #expect(throws: APIError.invalidParameter("unknown capability: \"CAP_FLY\"")) { try spec { $0.CapAdd = ["CAP_FLY"] }.check() }
    }

    @Test func bindsAreHostDirectoriesOrVolumes() throws {
        guard case .host(let mount) = try ContainerSpec.parseBind("/srv:/data:ro") else { Issue.record("a host bind"); return }
        #expect(mount.source == "/srv" && mount.destination == "/data" && mount.options == ["rbind", "rprivate", "ro"])
        guard case .volume(let named) = try ContainerSpec.parseBind("cache:/cache:nocopy") else { Issue.record("a volume"); return }
        #expect(named.name == "cache" && !named.copyImageData && !named.anonymous)
        guard case .volume(let anonymous) = try ContainerSpec.parseBind("/scratch") else { Issue.record("an anonymous volume"); return }
        #expect(anonymous.anonymous && anonymous.destination == "/scratch")
        #expect(throws: APIError.self) { try ContainerSpec.parseBind("/srv:data") }
        #expect(throws: APIError.self) { try ContainerSpec.parseBind("/srv:/data:sideways") }
    }

    @Test func theImagesVolumesBecomeAnonymousVolumesUnlessMounted() throws {
        var config = ContainerConfig()
        config.Volumes = ["/var/lib/db": .init(), "/logs": .init()]
        var host = HostConfig()
        host.Binds = ["/host/logs:/logs"]
        let volumes = try ContainerSpec.volumeMounts(config: config, hostConfig: host)
        #expect(volumes.count == 1 && volumes[0].destination == "/var/lib/db" && volumes[0].anonymous && volumes[0].name.count == 64)
    }

    @Test func aDestinationMountedTwiceIsRefused() {
        #expect(throws: APIError.invalidParameter("Duplicate mount point: /data")) {
            try spec { $0.Binds = ["/a:/data"]; $0.Tmpfs = ["/data": ""] }.check()
        }
    }

    @Test func limitsBecomeCgroupResources() throws {
        let resources = try spec { $0.Memory = 64 << 20; $0.NanoCpus = 1_500_000_000; $0.PidsLimit = 50 }.resources()
        #expect(resources.memory?.limit == 64 << 20 && resources.memory?.swap == 128 << 20)
        #expect(resources.cpu?.quota == 150_000 && resources.cpu?.period == 100_000)
        #expect(resources.pids?.limit == 50)
        #expect(throws: APIError.invalidParameter("Minimum memory limit allowed is 6MB")) { try spec { $0.Memory = 1024 }.check() }
    }

    @Test func securityOptionsAreReadOrRefused() throws {
        #expect(throws: APIError.invalidParameter("invalid --security-opt 1: \"nonsense\"")) {
            try spec { $0.SecurityOpt = ["nonsense"] }.check()
        }
        #expect(throws: APIError.self) { try spec { $0.SecurityOpt = ["apparmor=unconfined"] }.check() }
        try spec { $0.SecurityOpt = ["seccomp=unconfined", "no-new-privileges"] }.check()
    }

    @Test func networkModes() throws {
        #expect(try ContainerSpec.networkMode("").mode == "default")
        #expect(try ContainerSpec.networkMode("container:db").joins == "db")
        #expect(throws: APIError.notFound("network bridge not found")) { try ContainerSpec.networkMode("bridge") }
    }

    @Test func signalsByNameOrNumber() throws {
        #expect(try SignalName.parse("HUP") == 1 && SignalName.parse("sigterm") == 15 && SignalName.parse("9") == 9)
        #expect(try SignalName.parse("RTMIN+3") == 37)
        #expect(throws: APIError.invalidParameter("Invalid signal: NOPE")) { try SignalName.parse("NOPE") }
        #expect(throws: APIError.self) { try SignalName.parse("65") }
    }

    @Test func durationsReadAsDockerPrintsThem() {
        let second: Int64 = 1_000_000_000
        #expect(HumanDuration.text(nanoseconds: second / 2) == "Less than a second")
        #expect(HumanDuration.text(nanoseconds: 1 * second) == "1 second")
        #expect(HumanDuration.text(nanoseconds: 49 * second) == "49 seconds")
        #expect(HumanDuration.text(nanoseconds: 90 * second) == "About a minute")
        #expect(HumanDuration.text(nanoseconds: 3600 * second) == "About an hour")
        #expect(HumanDuration.text(nanoseconds: 3 * 86_400 * second) == "3 days")
    }
}

/// The detach keys: Docker's notation and the scanner that finds them across pieces of input.
struct DetachKeysTests {
    @Test func theNotationIsDockers() throws {
        #expect(try DetachKeys("") == .standard)
        #expect(try DetachKeys("ctrl-a,x,ctrl-@").sequence == [1, UInt8(ascii: "x"), 0])
        #expect(throws: APIError.invalidParameter("Invalid detach keys (ctrl-1) provided")) { try DetachKeys("ctrl-1") }
    }

    @Test func theSequenceIsFoundAcrossPiecesAndAPartialMatchIsForwarded() {
        var scanner = DetachKeys.Scanner(.standard)
        #expect(scanner.feed(Array("ab".utf8) + [16]) == (Array("ab".utf8), false))
        #expect(scanner.feed(Array("c".utf8)) == ([16] + Array("c".utf8), false), "ctrl-p alone is input")
        #expect(scanner.feed([16]) == ([], false))
        #expect(scanner.feed([17] + Array("dropped".utf8)) == ([], true))
    }
}
