import COpenSSL

/// A running SHA-256 over bytes fed in pieces, through the system's OpenSSL. Used by one thread
/// at a time (the blocking work that streams an archive).
final class SHA256 {
    private let context: OpaquePointer

    init() {
        // EVP_MD_CTX_new fails only when memory runs out; there is nothing to digest with then.
        context = EVP_MD_CTX_new()!
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything fed so far; the hasher is spent afterwards.
    func finish() -> Digest {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return Digest(bytes: out)
    }

    /// The digest of `bytes`.
    static func digest(_ bytes: [UInt8]) -> Digest {
        let hasher = SHA256()
        hasher.update(bytes)
        return hasher.finish()
    }
}
