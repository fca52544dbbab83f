import BerthAPI
import BerthCore
import BerthTransport
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Volumes of the `local` driver: a directory each under `<data-root>/volumes/<name>/_data`,
/// with its labels and creation time in `volume.json` beside it. Knows which containers use
/// each volume: one in use cannot be removed.
public actor VolumeStore: VolumesBackend {
    /// Publishes a volume event (`create`, `destroy`, `mount`, `unmount`).
    public typealias EventPublisher = @Sendable (_ action: String, _ name: String, _ attributes: [String: String]) async -> Void

    struct Record: Codable, Sendable {
        var CreatedAt: String
        var Labels: [String: String]?
        /// Made for one container (`-v /path`, an image's `VOLUME`): removed with it by `rm -v`.
        var Anonymous: Bool
    }

    let root: String
    private let publish: EventPublisher
    private var volumes: [String: Record] = [:]
    /// The containers using each volume.
    private var users: [String: Set<String>] = [:]

    public init(dataRoot: String, publish: @escaping EventPublisher) {
        root = dataRoot + "/volumes"
        self.publish = publish
    }

    /// Reads the volumes under the data root.
    func open() async throws {
        let root = root
        volumes = try await BlockingPool.shared.run {
            try makeDirectories(root)
            var found: [String: Record] = [:]
            for name in try listDirectory(root) {
                guard case .success(let bytes) = SmallFile.read("\(root)/\(name)/volume.json"),
                      let record = try? JSONDecoder().decode(Record.self, from: Data(bytes)) else { continue }
                found[name] = record
            }
            return found
        }
    }

    /// The directory a volume's files are in.
    nonisolated func path(_ name: String) -> String { "\(root)/\(name)/_data" }

    private func view(_ name: String, _ record: Record) -> Volume {
        Volume(CreatedAt: record.CreatedAt, Driver: "local", Labels: record.Labels ?? [:], Mountpoint: path(name), Name: name,
               Options: nil)
    }

    /// Docker's rule for volume names (`[a-zA-Z0-9][a-zA-Z0-9_.-]`, two characters at least).
    static func validated(_ name: String) throws -> String {
        let bytes = Array(name.utf8)
        func alphanumeric(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        guard bytes.count >= 2, alphanumeric(bytes[0]),
              bytes.dropFirst().allSatisfy({ alphanumeric($0) || $0 == 95 || $0 == 46 || $0 == 45 }) else {
            throw APIError.invalidParameter("create \(name): \"\(name)\" includes invalid characters for a local volume name, "
                                            + "only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                                            + "directory, use absolute path")
        }
        return name
    }

    // MARK: The API

    public func create(_ request: VolumeCreateRequest) async throws -> Volume {
        let driver = request.Driver.flatMap { $0.isEmpty ? nil : $0 } ?? "local"
        guard driver == "local" else {
            throw APIError.notFound("error looking up volume plugin \(driver): plugin \"\(driver)\" not found")
        }
        if let options = request.DriverOpts, !options.isEmpty {
            throw APIError.invalidParameter("berthd does not support options of the local volume driver yet")
        }
        let name = try request.Name.flatMap { $0.isEmpty ? nil : $0 }.map(Self.validated)
        return try await create(name: name, labels: request.Labels, anonymous: name == nil).volume
    }

    /// Creates the volume `name` (nil: a new anonymous one), or returns it if it exists.
    func create(name: String?, labels: [String: String]?, anonymous: Bool) async throws -> (volume: Volume, created: Bool) {
        let name = name ?? randomHex(64)
        if let existing = volumes[name] { return (view(name, existing), false) }
        let record = Record(CreatedAt: Timestamp.rfc3339Nano(nanoseconds: Timestamp.nowNanoseconds() / 1_000_000_000 * 1_000_000_000),
                            Labels: labels, Anonymous: anonymous)
        volumes[name] = record
        let directory = "\(root)/\(name)"
        do {
            try await BlockingPool.shared.run {
                try makeDirectories(directory + "/_data", mode: 0o755)
                chmod(directory, 0o701)
                try DurableFile.write(Array(try JSONEncoder().encode(record)), to: directory + "/volume.json", mode: 0o600)
            }
        } catch {
            volumes.removeValue(forKey: name)
            throw error
        }
        await publish("create", name, ["driver": "local"])
        return (view(name, record), true)
    }

    public func list(filters: Filters) async throws -> VolumeList {
        let dangling = try filters.bool("dangling")
        var list: [Volume] = []
        for (name, record) in volumes.sorted(by: { $0.key < $1.key }) {
            if let dangling, dangling != (users[name]?.isEmpty ?? true) { continue }
            if let names = filters["name"], !names.contains(where: { name.contains($0) }) { continue }
            if let drivers = filters["driver"], !drivers.contains("local") { continue }
            guard filters.matchesLabels(record.Labels) else { continue }
            list.append(view(name, record))
        }
        return VolumeList(Volumes: list)
    }

    public func inspect(_ name: String) async throws -> Volume {
        guard let record = volumes[name] else { throw APIError.notFound("get \(name): no such volume") }
        return view(name, record)
    }

    public func remove(_ name: String, force: Bool) async throws {
        guard volumes[name] != nil else {
            if force { return }
            throw APIError.notFound("get \(name): no such volume")
        }
        if let holders = users[name], !holders.isEmpty {
            throw APIError.conflict("remove \(name): volume is in use - [\(holders.sorted().joined(separator: ", "))]")
        }
        try await destroy(name)
    }

    private func destroy(_ name: String) async throws {
        let directory = "\(root)/\(name)"
        try await BlockingPool.shared.run { try removeTree(directory) }
        volumes.removeValue(forKey: name)
        users.removeValue(forKey: name)
        await publish("destroy", name, ["driver": "local"])
    }

    public func prune(filters: Filters) async throws -> VolumesPruneReport {
        var deleted: [String] = []
        var reclaimed: Int64 = 0
        for (name, record) in volumes.sorted(by: { $0.key < $1.key }) where users[name]?.isEmpty ?? true {
            guard filters.matchesLabels(record.Labels) else { continue }
            let path = path(name)
            reclaimed += (try? await BlockingPool.shared.run { treeSize(path) }) ?? 0
            if (try? await destroy(name)) != nil { deleted.append(name) }
        }
        await publish("prune", "", ["reclaimed": String(reclaimed)])
        return VolumesPruneReport(VolumesDeleted: deleted.isEmpty ? nil : deleted, SpaceReclaimed: reclaimed)
    }

    // MARK: Containers

    /// Container `container` uses the volumes `names` (created if missing). Returns the names
    /// created now (their content may be copied from the image).
    func acquire(_ mounts: [VolumeMount], by container: String) async throws -> Set<String> {
        var created = Set<String>()
        for mount in mounts {
            if try await create(name: mount.name, labels: nil, anonymous: mount.anonymous).created { created.insert(mount.name) }
            users[mount.name, default: []].insert(container)
        }
        return created
    }

    /// Records, when the daemon starts, that `container` uses the volumes `names`.
    func adopt(_ names: [String], by container: String) {
        for name in names where volumes[name] != nil { users[name, default: []].insert(container) }
    }

    /// Container `container` is removed: it no longer uses its volumes; its anonymous ones are
    /// removed with it when `removeAnonymous` (`rm -v`, `--rm`).
    func release(_ names: [String], by container: String, removeAnonymous: Bool) async {
        for name in names {
            users[name]?.remove(container)
            if removeAnonymous, volumes[name]?.Anonymous == true, users[name]?.isEmpty ?? true { try? await destroy(name) }
        }
    }

    /// How many containers use each volume (`docker system df`).
    func referenceCounts() -> [String: Int] { users.mapValues(\.count) }
}

/// A volume a container mounts: `-v name:/path`, `-v /path` (anonymous), `--mount type=volume`,
/// or an image's `VOLUME`.
struct VolumeMount: Codable, Sendable, Equatable {
    var name: String
    var destination: String
    var readOnly: Bool
    var anonymous: Bool
    /// Copy the image's files at `destination` into the volume when it is new (not `nocopy`).
    var copyImageData: Bool
}
