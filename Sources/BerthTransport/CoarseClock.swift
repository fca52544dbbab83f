import CBerthSys

/// A monotonic clock in milliseconds that costs a few nanoseconds to read (CLOCK_MONOTONIC_COARSE,
/// resolution a few milliseconds): for stamping state changes on hot paths whose deadlines a
/// periodic sweep enforces.
public enum CoarseClock {
    /// Milliseconds since an arbitrary point (boot), never going backwards.
    @inline(__always)
    public static var milliseconds: UInt64 { berth_monotonic_coarse_ms() }

    /// The `ContinuousClock` instant that a reading of `milliseconds` corresponds to, to within
    /// the clock's resolution.
    public static func instant(of reading: UInt64) -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        let current = milliseconds
        return current >= reading ? now - .milliseconds(current - reading) : now + .milliseconds(reading - current)
    }
}
