/// An error that knows the HTTP status and the message a client should see.
///
/// Every error that can reach a client conforms; the server turns it into Docker's
/// `{"message": …}` body in exactly one place.
public protocol StatusCarryingError: Error, Sendable {
    var status: HTTPStatus { get }
    var message: String { get }
}
