import BerthAPI
import BerthCore
import FoundationEssentials

/// What is kept of a container across daemon restarts, in `containers/<id>/config.v2.json` (the
/// container) and `hostconfig.json` (its `HostConfig`), as dockerd keeps them.
struct ContainerRecord: Codable, Sendable {
    var ID: String
    /// Without the leading `/`.
    var Name: String
    /// Unix nanoseconds.
    var CreatedNanoseconds: Int64
    /// The configuration, merged with the image's at create.
    var Config: ContainerConfig
    /// `sha256:…`.
    var ImageID: String
    var Driver: String
    var State: ContainerLifecycle
    var NetworkMode: String
    /// The volumes it mounts, anonymous ones named.
    var Volumes: [VolumeMount]?

    /// The files of a container's directory.
    struct Paths: Sendable {
        let directory: String
        var config: String { directory + "/config.v2.json" }
        var hostConfig: String { directory + "/hostconfig.json" }
        var hostname: String { directory + "/hostname" }
        var hosts: String { directory + "/hosts" }
        var resolvConf: String { directory + "/resolv.conf" }
        let id: String
        var log: String { "\(directory)/\(id)-json.log" }

        init(root: String, id: String) {
            directory = "\(root)/\(id)"
            self.id = id
        }
    }

    /// Both files, each written whole or not at all. Blocking.
    static func save(_ record: ContainerRecord, hostConfig: HostConfig?, paths: Paths) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try DurableFile.write(Array(try encoder.encode(record)), to: paths.config, mode: 0o600)
        if let hostConfig { try DurableFile.write(Array(try encoder.encode(hostConfig)), to: paths.hostConfig, mode: 0o600) }
    }

    /// The container in `directory`, or nil if its files are missing or unreadable. Blocking.
    static func load(_ paths: Paths) -> (ContainerRecord, HostConfig)? {
        guard case .success(let config) = SmallFile.read(paths.config), case .success(let host) = SmallFile.read(paths.hostConfig),
              let record = try? JSONDecoder().decode(ContainerRecord.self, from: Data(config)),
              let hostConfig = try? JSONDecoder().decode(HostConfig.self, from: Data(host)) else { return nil }
        return (record, hostConfig)
    }
}
