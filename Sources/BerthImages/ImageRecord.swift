/// An image of the store: its configuration, byte for byte and read, and its top layer.
struct ImageRecord: Sendable {
    let id: Digest
    /// The configuration as stored (its SHA-256 is `id`).
    let configBytes: [UInt8]
    let config: ImageConfig
    /// The chain ID of the top layer; nil for an image with no layer.
    let topLayer: Digest?
    /// The bytes of all its layers' files.
    let size: Int
    /// When it was last tagged (RFC 3339), if ever.
    var lastTagTime: String?
}
