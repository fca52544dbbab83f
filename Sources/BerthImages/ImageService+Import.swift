import BerthAPI
import BerthCore
import BerthTransport

extension ImageService {
    /// `docker import`: one layer from the body, and a configuration from `changes`.
    public func importImage(from body: @escaping ByteSource, repository: String?, tag: String?, message: String,
                            changes: [String]) async throws -> String {
        // Everything that can be refused is checked before the body is read.
        var config = ContainerConfig()
        try ConfigChanges.apply(changes, to: &config)
        let reference = try repository.map { repository in
            try tag.map { try Reference(name: repository, tag: $0) } ?? Reference(parsing: repository)
        }
        let layer = try await storeLayer(from: body, parent: nil, expected: nil)
        let now = Timestamp.rfc3339(nanoseconds: Timestamp.nowNanoseconds())
        let comment = message.isEmpty ? "Imported from -" : message
        var image = ImageConfig(rootfs: .init(diff_ids: [layer.diffID]))
        image.architecture = architecture
        image.os = "linux"
        image.comment = comment
        image.config = config
        image.container_config = ContainerConfig()
        image.created = now
        image.docker_version = version
        image.history = [.init(created: now, comment: comment)]
        let record = try await images.add(try image.encoded())
        if let reference {
            try await images.tag(reference, record.id)
            await publish("tag", record.id.description, ["name": reference.description])
        }
        await publish("import", record.id.description, ["name": record.id.description])
        return record.id.description
    }

    /// Stores the layer a request body holds: the body is read in this task and handed, through
    /// a `BytePipe` with backpressure, to the thread that decompresses, hashes and applies it.
    func storeLayer(from body: @escaping ByteSource, parent: Layer?, expected: Digest?) async throws -> Layer {
        try await PipedStream.consuming(body) { pipe in
            try await layers.create(parent: parent, expected: expected) { try pipe.readBlocking() }
        }
    }
}
