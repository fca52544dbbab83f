import BerthAPI
import BerthCore

/// Where backends publish events and `/events` streams read them. Keeps the last 256 events for
/// `since` replays; a subscriber gets the replay and every later event with no gap and no repeat.
public actor EventBus {
    public static let capacity = 256

    private var recent: [Event] = []
    private var subscribers: [UInt64: AsyncStream<Event>.Continuation] = [:]
    private var nextID: UInt64 = 0

    public init() {}

    /// Publishes an event stamped with the current time.
    public func publish(type: String, action: String, actorID: String, attributes: [String: String] = [:]) {
        publish(Event(type: type, action: action, actor: .init(ID: actorID, Attributes: attributes), timeNano: Timestamp.nowNanoseconds()))
    }

    public func publish(_ event: Event) {
        recent.append(event)
        if recent.count > Self.capacity { recent.removeFirst(recent.count - Self.capacity) }
        for subscriber in subscribers.values { subscriber.yield(event) }
    }

    /// The buffered events and a stream of every event published from now on.
    public func subscribe() -> (id: UInt64, replay: [Event], live: AsyncStream<Event>) {
        nextID += 1
        let (stream, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(4096))
        subscribers[nextID] = continuation
        return (nextID, recent, stream)
    }

    /// Ends a subscription; its stream finishes.
    public func unsubscribe(_ id: UInt64) {
        subscribers.removeValue(forKey: id)?.finish()
    }

    /// How many streams are listening now (`NEventsListener` in `/info`).
    public var listenerCount: Int { subscribers.count }
}
