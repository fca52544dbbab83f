import BerthCore
import BerthSync

/// Request counts and durations, for `/metrics` and `/debug/vars`. One lock per request.
public final class ServerMetrics: Sendable {
    /// Upper bounds of the duration histogram, in seconds (Prometheus' defaults).
    public static let bucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public struct RequestKey: Hashable, Sendable {
        public let method: String
        public let route: String
        public let code: Int
    }

    public struct Snapshot: Sendable {
        public var requests: [RequestKey: Int] = [:]
        /// Cumulative counts per bucket bound, then +Inf last.
        public var bucketCounts: [Int] = Array(repeating: 0, count: ServerMetrics.bucketBounds.count + 1)
        public var durationSum: Double = 0
        public var durationCount = 0

        /// Requests by status class: `2xx`, `4xx`, ….
        public var byStatusClass: [String: Int] {
            var classes: [String: Int] = [:]
            for (key, count) in requests { classes["\(key.code / 100)xx", default: 0] += count }
            return classes
        }
    }

    private let state = Locked(Snapshot())

    public init() {}

    public func record(method: String, route: String, code: Int, duration: Duration) {
        let value = duration.seconds
        let firstBucket = Self.bucketBounds.firstIndex { value <= $0 } ?? Self.bucketBounds.count
        state.withLock { s in
            s.requests[RequestKey(method: method, route: route, code: code), default: 0] += 1
            for i in firstBucket..<s.bucketCounts.count { s.bucketCounts[i] += 1 }
            s.durationSum += value
            s.durationCount += 1
        }
    }

    public var snapshot: Snapshot { state.withLock { $0 } }
}
