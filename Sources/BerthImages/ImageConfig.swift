import BerthAPI
import BerthCore
import FoundationEssentials

/// An image's configuration (the JSON whose SHA-256 is the image ID): what the store reads of it.
/// The bytes themselves are kept as they came; this is never encoded back over them.
struct ImageConfig: Codable, Sendable {
    struct RootFS: Codable, Sendable {
        var type = "layers"
        var diff_ids: [Digest] = []
    }

    struct History: Codable, Sendable {
        var created: String?
        var created_by: String?
        var author: String?
        var comment: String?
        var empty_layer: Bool?
    }

    var architecture: String?
    var os: String?
    var variant: String?
    var author: String?
    var comment: String?
    var config: ContainerConfig?
    var container: String?
    var container_config: ContainerConfig?
    var created: String?
    var docker_version: String?
    var history: [History]?
    var rootfs: RootFS

    /// `created` in nanoseconds since the epoch (0 when absent or unreadable).
    var createdNanoseconds: Int64 { created.flatMap(Timestamp.parseRFC3339) ?? 0 }

    /// Decodes a configuration, refusing one without `rootfs.diff_ids`.
    static func decode(_ bytes: [UInt8]) throws -> ImageConfig {
        do {
            return try JSONDecoder().decode(ImageConfig.self, from: Data(bytes))
        } catch {
            throw APIError.invalidParameter("invalid image configuration: \(error)")
        }
    }

    /// The configuration's bytes as this daemon writes new ones: keys in sorted order (as
    /// dockerd's are), so the same configuration always gives the same ID.
    func encoded() throws -> [UInt8] {
        Array(try JSONEncoder.goStyle(sortedKeys: true).encode(self))
    }
}
