import FoundationEssentials

extension JSONEncoder {
    /// An encoder that writes as Go's `encoding/json` does where clients can tell: slashes left
    /// as they are (`/tmp/x`, not `\/tmp\/x`); with `sortedKeys`, keys in order, so that the same
    /// value always gives the same bytes (stored documents whose digest names them).
    public static func goStyle(sortedKeys: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = sortedKeys ? [.withoutEscapingSlashes, .sortedKeys] : .withoutEscapingSlashes
        return encoder
    }
}
