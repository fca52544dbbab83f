/// Counts and timings of the jobs run under one name.
public struct JobStats: Sendable, Equatable {
    public var count = 0
    public var errors = 0
    public var totalDuration: Duration = .zero
    public var maxDuration: Duration = .zero

    public init() {}

    mutating func record(_ duration: Duration, failed: Bool) {
        count += 1
        if failed { errors += 1 }
        totalDuration += duration
        maxDuration = max(maxDuration, duration)
    }
}
