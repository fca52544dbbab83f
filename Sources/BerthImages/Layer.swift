/// A read-only layer of the store: the change one tar makes on top of its parent.
public struct Layer: Sendable, Equatable {
    /// Names the layer together with all below it: the diff ID for a bottom layer, else the
    /// SHA-256 of `<parent chain ID> <diff ID>`.
    public let chainID: Digest
    /// The SHA-256 of the layer's uncompressed tar.
    public let diffID: Digest
    public let parent: Digest?
    /// The name of the layer's directory in the storage driver.
    public let cacheID: String
    /// The bytes of the regular files the layer holds.
    public let size: Int

    /// The chain ID of `diffID` on top of `parent`.
    public static func chainID(parent: Digest?, diffID: Digest) -> Digest {
        guard let parent else { return diffID }
        return SHA256.digest(Array("\(parent) \(diffID)".utf8))
    }
}
