import BerthTransport
import CBerthTLS

/// A server TLS configuration: certificate, key and, to require client certificates, a CA.
/// TLS 1.2 and 1.3 only; ALPN selects `http/1.1`.
///
/// `@unchecked Sendable`: the OpenSSL context is configured once in `init` and only read after,
/// which OpenSSL allows from any thread.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    /// Loads the files. Errors carry dockerd's start-up texts.
    public init(certificate: String, key: String, ca: String?) throws(TLSConfigurationError) {
        var message = [CChar](repeating: 0, count: 512)
        var step: Int32 = 0
        guard let context = berth_tls_ctx_new(certificate, key, ca, &message, message.count, &step) else {
            let reason = String(nulTerminated: message)
            if step == 1, let ca {
                throw TLSConfigurationError("failed to create API server: could not read CA certificate \"\(ca)\": \(reason)")
            }
            throw TLSConfigurationError("failed to create API server: Could not load X509 key pair (cert: \"\(certificate)\", key: \"\(key)\"): \(reason)")
        }
        self.context = context
    }

    deinit { berth_tls_ctx_free(context) }
}

/// A TLS configuration that cannot be used.
public struct TLSConfigurationError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
