import BerthAPI
import BerthCore
import BerthImages
import BerthSync

/// The image routes' backend: the image service once the daemon has opened it (the routes exist
/// from the start; connections are accepted only after the store is open, so requests find it).
final class DaemonImagesBackend: ImagesBackend {
    private let service = Locked<ImageService?>(nil)

    func open(_ opened: ImageService) { service.withLock { $0 = opened } }

    var current: ImageService? { service.withLock { $0 } }

    private func store() throws -> ImageService {
        guard let store = current else { throw APIError.unavailable("the image store is not open yet") }
        return store
    }

    func images(all: Bool, filters: Filters) async throws -> [ImageSummary] {
        try await store().images(all: all, filters: filters)
    }

    func inspect(_ name: String) async throws -> ImageInspect { try await store().inspect(name) }

    func history(_ name: String) async throws -> [ImageHistoryItem] { try await store().history(name) }

    func tag(_ name: String, repository: String, tag: String) async throws {
        try await store().tag(name, repository: repository, tag: tag)
    }

    func delete(_ name: String, force: Bool, prune: Bool) async throws -> [ImageDeleteItem] {
        try await store().delete(name, force: force, prune: prune)
    }

    func prune(filters: Filters) async throws -> ImagesPruneReport { try await store().prune(filters: filters) }

    func diskUsage() async throws -> (layersSize: Int, images: [ImageSummary]) { try await store().diskUsage() }

    func importImage(from body: @escaping ByteSource, repository: String?, tag: String?, message: String,
                     changes: [String]) async throws -> String {
        try await store().importImage(from: body, repository: repository, tag: tag, message: message, changes: changes)
    }

    func load(from body: @escaping ByteSource, quiet: Bool, progress: @escaping MessageSink) async throws {
        try await store().load(from: body, quiet: quiet, progress: progress)
    }

    func save(_ names: [String]) async throws -> @Sendable (_ into: @escaping ByteSink) async throws -> Void {
        try await store().save(names)
    }
}
