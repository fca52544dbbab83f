import BerthServer

/// One resource of the Docker API (system, images, containers, …): a set of routes that turn
/// requests into calls on a backend, and the backend's answers into responses. A router never
/// touches a socket; a backend never sees HTTP, only this module's wire types.
public protocol APIRouter: Sendable {
    /// Adds the routes to `router`.
    func register(on router: inout Router)
}
