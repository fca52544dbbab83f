import BerthAPI
import BerthCore
import BerthTransport
#if canImport(Glibc)
import Glibc
#endif

extension ImageService {
    /// `docker save`: Docker's archive format (`manifest.json`, `repositories`) with the OCI
    /// layout beside it (`oci-layout`, `index.json`, `blobs/sha256/`), as Docker 25 writes it; the
    /// blobs are the configurations, the layers' tars exactly as stored, and one OCI manifest per
    /// image. Streamed as it is written, with no copy of the whole archive anywhere; the same
    /// images give the same bytes.
    public func save(_ names: [String]) async throws -> @Sendable (_ into: @escaping ByteSink) async throws -> Void {
        var plan = SavePlan()
        for name in names {
            // dockerd 20.10's words for a name it cannot save, whatever the name's form.
            guard let record = try await images.resolve(name) else { throw APIError.notFound("reference does not exist") }
            let reference: Reference? = Digest(name) == nil ? try? Reference(parsing: name) : nil
            let tagged = await reference.asyncFlatMap { await images.tags(of: record.id).contains($0) ? $0 : nil }
            if let i = plan.images.firstIndex(where: { $0.id == record.id }) {
                if let tagged, !plan.images[i].tags.contains(tagged) { plan.images[i].tags.append(tagged) }
                continue
            }
            var layerFiles: [(diffID: Digest, path: String)] = []
            var chain: Digest?
            for diffID in record.config.rootfs.diff_ids {
                chain = Layer.chainID(parent: chain, diffID: diffID)
                guard let chainID = chain, let layer = await layers.layer(chainID) else {
                    throw APIError.system("layer \(diffID) of image \(record.id) is missing")
                }
                layerFiles.append((diffID, layers.tarPath(of: layer)))
            }
            plan.images.append(.init(id: record.id, config: record.configBytes, tags: tagged.map { [$0] } ?? [], layers: layerFiles))
        }
        let saved = plan
        return { [self] sink in
            try await PipedStream.producing(into: sink) { write in try saved.write(to: write) }
            for image in saved.images { await publish("save", image.id.description, ["name": image.id.description]) }
        }
    }
}

/// The images to save, with everything the archive needs, gathered before the first byte.
struct SavePlan: Sendable {
    struct Image: Sendable {
        let id: Digest
        let config: [UInt8]
        var tags: [Reference]
        let layers: [(diffID: Digest, path: String)]
    }

    var images: [Image] = []

    /// Writes the archive to `sink` (blocking).
    func write(to sink: @escaping ArchiveWriter.Sink) throws {
        let writer = try ArchiveWriter(sink: sink)
        try writer.addDirectory("blobs/")
        try writer.addDirectory("blobs/sha256/")
        var written = Set<Digest>()
        var manifests: [(digest: Digest, size: Int, image: Image)] = []
        for image in images {
            for layer in image.layers where written.insert(layer.diffID).inserted {
                try writer.addFile("blobs/sha256/\(layer.diffID.hex)", contentsOf: layer.path)
            }
            if written.insert(image.id).inserted { try writer.addFile("blobs/sha256/\(image.id.hex)", image.config) }
            let manifest = try ociManifest(image)
            let digest = SHA256.digest(manifest)
            if written.insert(digest).inserted { try writer.addFile("blobs/sha256/\(digest.hex)", manifest) }
            manifests.append((digest, manifest.count, image))
        }
        try writer.addFile("index.json", index(manifests))
        try writer.addFile("manifest.json", dockerManifest())
        try writer.addFile("oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try writer.addFile("repositories", repositories())
        try writer.finish()
    }

    private func ociManifest(_ image: Image) throws -> [UInt8] {
        var text = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":"#
        text += descriptor("application/vnd.oci.image.config.v1+json", image.id, image.config.count)
        text += #","layers":["#
        text += try image.layers.map { layer in
            guard case .success(let size) = fileSize(layer.path) else { throw FileError("stat", layer.path) }
            return descriptor("application/vnd.oci.image.layer.v1.tar", layer.diffID, size)
        }.joined(separator: ",")
        return Array((text + "]}").utf8)
    }

    private func index(_ manifests: [(digest: Digest, size: Int, image: Image)]) -> [UInt8] {
        var entries: [String] = []
        for (digest, size, image) in manifests {
            let base = descriptor("application/vnd.oci.image.manifest.v1+json", digest, size)
            if image.tags.isEmpty {
                entries.append(base)
            }
            for tag in image.tags {
                let annotations = #"{"io.containerd.image.name":"# + JSONText.quoted("\(tag.fullName):\(tag.tag)")
                    + #","org.opencontainers.image.ref.name":"# + JSONText.quoted(tag.tag) + "}"
                entries.append(String(base.dropLast()) + #","annotations":"# + annotations + "}")
            }
        }
        return Array((#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":["#
            + entries.joined(separator: ",") + "]}").utf8)
    }

    private func dockerManifest() -> [UInt8] {
        let entries = images.map { image in
            #"{"Config":"# + JSONText.quoted("blobs/sha256/\(image.id.hex)")
                + #","RepoTags":"# + (image.tags.isEmpty ? "null" : "[" + image.tags.map { JSONText.quoted($0.description) }.joined(separator: ",") + "]")
                + #","Layers":["# + image.layers.map { JSONText.quoted("blobs/sha256/\($0.diffID.hex)") }.joined(separator: ",") + "]}"
        }
        return Array(("[" + entries.joined(separator: ",") + "]\n").utf8)
    }

    /// The legacy `repositories` file: repository → tag → the top layer's blob.
    private func repositories() -> [UInt8] {
        var repositories: [String: [String: String]] = [:]
        for image in images {
            guard let top = image.layers.last else { continue }
            for tag in image.tags { repositories[tag.familiarName, default: [:]][tag.tag] = top.diffID.hex }
        }
        let text = repositories.keys.sorted().map { name in
            JSONText.quoted(name) + ":{" + (repositories[name] ?? [:]).sorted { $0.key < $1.key }
                .map { JSONText.quoted($0.key) + ":" + JSONText.quoted($0.value) }.joined(separator: ",") + "}"
        }.joined(separator: ",")
        return Array(("{" + text + "}\n").utf8)
    }

    private func descriptor(_ mediaType: String, _ digest: Digest, _ size: Int) -> String {
        #"{"mediaType":"# + JSONText.quoted(mediaType) + #","digest":"# + JSONText.quoted(digest.description) + #","size":\#(size)}"#
    }

    private func fileSize(_ path: String) -> Result<Int, FileError> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(FileError("stat", path)) }
        return .success(Int(info.st_size))
    }
}
