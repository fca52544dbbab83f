/// An error that knows its kind and the message a client should see. Every error that can
/// reach a client conforms, or is classified by `ErrorKind.classify`.
public protocol KindedError: Error, Sendable {
    var kind: ErrorKind { get }
    var message: String { get }
}
