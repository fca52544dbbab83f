import BerthCore

/// The `since`/`until` values the API accepts (dockerd's `GetTimestamp`): a Go duration before
/// now (`10m`, `1h30m`, `1.5s`), Unix seconds with an optional fraction (`1795374251.5`), or an
/// RFC 3339 time (`2026-11-22T18:47:21.45Z`, `2026-11-22T18:47:21+01:00`, `2026-11-22`; a time
/// without a zone is read as UTC).
public enum APITimestamp {
    /// Nanoseconds since the Unix epoch.
    public static func parse(_ value: String, now: Int64) throws -> Int64 {
        if value != "0", let duration = parseDuration(value) {
            let (result, overflow) = now.subtractingReportingOverflow(duration)
            guard !overflow else { throw APIError.invalidParameter("time out of range: \"\(value)\"") }
            return result
        }
        if let unix = parseUnix(value) { return unix }
        if let rfc = Timestamp.parseRFC3339(value) { return rfc }
        throw APIError.invalidParameter("failed to parse value as time or duration: \"\(value)\"")
    }

    /// A Go duration in nanoseconds: a sequence of decimal numbers with units ns, us, µs, ms, s, m, h.
    static func parseDuration(_ text: String) -> Int64? {
        var s = Substring(text)
        var sign: Double = 1
        if s.first == "-" { sign = -1; s = s.dropFirst() } else if s.first == "+" { s = s.dropFirst() }
        guard !s.isEmpty else { return nil }
        var total: Double = 0
        while !s.isEmpty {
            let number = s.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            let unit = s.prefix { !$0.isNumber && $0 != "." }
            s = s.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return nil
            }
            total += value * scale
        }
        // Int64(Double) traps outside its range: refuse what does not fit.
        guard total.isFinite, total < 9.2e18 else { return nil }
        return Int64(sign * total)
    }

    static func parseUnix(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let secondsText = parts.first, !secondsText.isEmpty, secondsText.allSatisfy(\.isASCII),
              let seconds = Int64(secondsText) else { return nil }
        var nanos: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 9, fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = Int64(fraction + String(repeating: "0", count: 9 - fraction.count)) else { return nil }
            nanos = value
        }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, scaled <= Int64.max - nanos else { return nil }
        return scaled + nanos
    }
}
