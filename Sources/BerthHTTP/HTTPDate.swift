#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import BerthCore
import Synchronization

/// The `Date` field's IMF-fixdate (`Sun, 22 Nov 2026 18:45:53 GMT`), formatted once per second
/// (by `Timestamp`) and read without a lock.
public enum HTTPDate {
    /// The date in effect: a sequence lock over the second it names and its 29 bytes, so readers
    /// on the hot path take no lock. An odd `sequence` means an update is under way.
    private static let sequence = Atomic<UInt64>(0)
    private static let second = Atomic<Int>(-1)
    private static let word0 = Atomic<UInt64>(0)
    private static let word1 = Atomic<UInt64>(0)
    private static let word2 = Atomic<UInt64>(0)
    private static let word3 = Atomic<UInt64>(0)
    /// An IMF-fixdate is always this long.
    public static let length = 29

    /// Appends the current time as an IMF-fixdate.
    public static func append(to out: inout [UInt8]) {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &ts)
        let current = Int(ts.tv_sec)
        while true {
            let before = sequence.load(ordering: .acquiring)
            if before & 1 == 0 && second.load(ordering: .relaxed) == current {
                let w = (word0.load(ordering: .relaxed), word1.load(ordering: .relaxed),
                         word2.load(ordering: .relaxed), word3.load(ordering: .relaxed))
                atomicMemoryFence(ordering: .acquiring)  // the loads above complete before the check
                if sequence.load(ordering: .relaxed) == before {
                    withUnsafeBytes(of: w) { out.append(contentsOf: $0.prefix(length)) }
                    return
                }
                continue
            }
            // The second changed (or another thread is updating it): format it ourselves, and
            // publish it unless another thread is publishing already.
            let text = Array(Timestamp.imfFixdate(epochSeconds: current).utf8)
            if before & 1 == 0, sequence.compareExchange(expected: before, desired: before + 1, ordering: .acquiringAndReleasing).exchanged {
                var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
                withUnsafeMutableBytes(of: &w) { raw in
                    for (i, b) in text.prefix(32).enumerated() { raw[i] = b }
                }
                word0.store(w.0, ordering: .relaxed)
                word1.store(w.1, ordering: .relaxed)
                word2.store(w.2, ordering: .relaxed)
                word3.store(w.3, ordering: .relaxed)
                second.store(current, ordering: .relaxed)
                sequence.store(before + 2, ordering: .releasing)
            }
            out.append(contentsOf: text)
            return
        }
    }
}
