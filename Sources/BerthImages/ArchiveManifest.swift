import BerthAPI
import BerthCore
import CBerthSys
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// What an image archive says it holds, read from a staged (extracted) archive: Docker's
/// `manifest.json`, or an OCI layout's `index.json`. Paths are inside the archive and are opened
/// only through `open(_:in:)`, which cannot leave it.
struct ArchiveManifest: Sendable {
    struct Image: Sendable {
        /// The configuration's path in the archive.
        var config: String
        /// The references to give the image (`bb:1`, `localhost:5000/ns/app:v1`).
        var tags: [String]
        /// The layers' paths, bottom first (compressed or not).
        var layers: [String]
    }

    var images: [Image]

    /// Reads the manifest of the archive staged at `root` (an open directory).
    static func read(_ root: Int32) throws -> ArchiveManifest {
        if let bytes = try? readFile("manifest.json", in: root) {
            struct Entry: Decodable {
                var Config: String
                var RepoTags: [String]?
                var Layers: [String]
            }
            guard let entries = try? JSONDecoder().decode([Entry].self, from: Data(bytes)) else {
                throw APIError.invalidParameter("invalid manifest.json in the archive")
            }
            return ArchiveManifest(images: entries.map { Image(config: $0.Config, tags: $0.RepoTags ?? [], layers: $0.Layers) })
        }
        if let bytes = try? readFile("index.json", in: root) {
            return ArchiveManifest(images: try ociImages(index: bytes, root: root))
        }
        throw APIError.invalidParameter("the archive holds no image: neither manifest.json nor index.json")
    }

    private struct Descriptor: Decodable {
        var mediaType: String?
        var digest: String
        var annotations: [String: String]?
    }

    private struct Index: Decodable {
        var manifests: [Descriptor]
    }

    private struct Manifest: Decodable {
        var config: Descriptor
        var layers: [Descriptor]
    }

    /// The images of an OCI index (one level of nested indexes followed), tagged from the
    /// `io.containerd.image.name` or a full `org.opencontainers.image.ref.name` annotation.
    private static func ociImages(index bytes: [UInt8], root: Int32, depth: Int = 0) throws -> [Image] {
        guard let index = try? JSONDecoder().decode(Index.self, from: Data(bytes)) else {
            throw APIError.invalidParameter("invalid index.json in the archive")
        }
        var images: [Image] = []
        for descriptor in index.manifests {
            let blob = try blobPath(descriptor.digest)
            let content = try readFile(blob, in: root)
            if descriptor.mediaType?.hasSuffix("image.index.v1+json") == true || descriptor.mediaType?.hasSuffix("manifest.list.v2+json") == true {
                guard depth == 0 else { continue }
                images += try ociImages(index: content, root: root, depth: 1)
                continue
            }
            guard let manifest = try? JSONDecoder().decode(Manifest.self, from: Data(content)) else {
                throw APIError.invalidParameter("invalid image manifest \(descriptor.digest) in the archive")
            }
            var tags: [String] = []
            if let name = descriptor.annotations?["io.containerd.image.name"] {
                tags.append(name)
            } else if let name = descriptor.annotations?["org.opencontainers.image.ref.name"], name.contains(":") || name.contains("/") {
                tags.append(name)
            }
            let image = Image(config: try blobPath(manifest.config.digest), tags: tags,
                              layers: try manifest.layers.map { try blobPath($0.digest) })
            // One descriptor per tag may name the same manifest: merge them.
            if let i = images.firstIndex(where: { $0.config == image.config && $0.layers == image.layers }) {
                images[i].tags += tags
            } else {
                images.append(image)
            }
        }
        return images
    }

    private static func blobPath(_ digest: String) throws -> String {
        guard let parsed = Digest(digest) else { throw APIError.invalidParameter("unsupported digest \(digest) in the archive") }
        return "blobs/sha256/\(parsed.hex)"
    }

    /// Opens a file of the archive, resolving `path` (symlinks included) inside it.
    static func open(_ path: String, in root: Int32) throws -> Int32 {
        let fd = berth_openat_in_root(root, path, O_RDONLY | O_CLOEXEC, 0)
        guard fd >= 0 else { throw APIError.invalidParameter("the archive has no \(GoQuoted.quoted(path)): \(errnoText(errno))") }
        return fd
    }

    static func readFile(_ path: String, in root: Int32) throws -> [UInt8] {
        let fd = try open(path, in: root)
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw FileError("read", path) }
            if n == 0 { return bytes }
            guard bytes.count + n <= 64 << 20 else { throw APIError.invalidParameter("\(path) in the archive is too large") }
            bytes += chunk[..<n]
        }
    }
}
