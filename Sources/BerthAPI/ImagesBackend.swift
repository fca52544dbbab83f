/// The next piece of a request body, nil at its end (a backend reads a body without HTTP).
public typealias ByteSource = @Sendable () async throws -> [UInt8]?
/// Takes bytes for a response body; returns once they are on their way.
public typealias ByteSink = @Sendable ([UInt8]) async throws -> Void
/// Takes one message of a progress stream.
public typealias MessageSink = @Sendable (JSONMessage) async throws -> Void

/// What the image routes ask of the image store. Names (`{name}`) are what users type: a
/// reference (`busybox`, `bb:1`, `localhost:5000/ns/app:v1`), a full `sha256:…` ID, or an ID
/// prefix.
public protocol ImagesBackend: Sendable {
    /// `GET /images/json`: `filters` has been checked against the keys images take.
    func images(all: Bool, filters: Filters) async throws -> [ImageSummary]
    func inspect(_ name: String) async throws -> ImageInspect
    func history(_ name: String) async throws -> [ImageHistoryItem]
    /// `POST /images/{name}/tag`: `repository` as the CLI sends it (`docker.io/library/bb`).
    func tag(_ name: String, repository: String, tag: String) async throws
    /// `DELETE /images/{name}`: untags, and deletes the image once no tag is left (or by ID).
    func delete(_ name: String, force: Bool, prune: Bool) async throws -> [ImageDeleteItem]
    func prune(filters: Filters) async throws -> ImagesPruneReport
    /// The images part of `GET /system/df`: every image with the size it shares with others, and
    /// the size of all layers.
    func diskUsage() async throws -> (layersSize: Int, images: [ImageSummary])
    /// `POST /images/create?fromSrc=-`: one layer from `body` (a tar, compressed or not), the
    /// configuration from `changes` (Dockerfile instructions) and `message`; tagged
    /// `repository:tag` when given. Returns the image ID.
    func importImage(from body: @escaping ByteSource, repository: String?, tag: String?, message: String,
                     changes: [String]) async throws -> String
    /// `POST /images/load`: images from a `docker save` archive or an OCI layout, reporting
    /// progress (unless `quiet`) and one `Loaded image…` line per image or tag to `progress`.
    func load(from body: @escaping ByteSource, quiet: Bool, progress: @escaping MessageSink) async throws
    /// `GET /images/get`: checks every name now (an unknown one is a 404 before any byte), and
    /// returns what writes the archive.
    func save(_ names: [String]) async throws -> @Sendable (_ into: @escaping ByteSink) async throws -> Void
}
