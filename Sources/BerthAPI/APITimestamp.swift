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
        if let rfc = parseRFC3339(value) { return rfc }
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
                  let value = Int64(fraction) else { return nil }
            nanos = value * Int64(pow10(9 - fraction.count))
        }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow, scaled <= Int64.max - nanos else { return nil }
        return scaled + nanos
    }

    static func parseRFC3339(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= chars.count else { return nil }
            var value = 0
            for c in chars[start..<(start + count)] {
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard let year = number(0, 4), chars.count >= 10, chars[4] == 45, let month = number(5, 2), chars[7] == 45,
              let day = number(8, 2), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var i = 10
        var seconds = 0, nanos: Int64 = 0
        if i < chars.count, chars[i] == 84 || chars[i] == 116 {  // T
            guard let hour = number(i + 1, 2), i + 3 < chars.count, chars[i + 3] == 58, let minute = number(i + 4, 2),
                  hour < 24, minute < 60 else { return nil }
            seconds = hour * 3600 + minute * 60
            i += 6
            if i < chars.count, chars[i] == 58 {
                guard let second = number(i + 1, 2), second < 61 else { return nil }
                seconds += second
                i += 3
                if i < chars.count, chars[i] == 46 {
                    var j = i + 1
                    var digits = 0
                    var fraction: Int64 = 0
                    while j < chars.count, chars[j] >= 48 && chars[j] <= 57 {
                        if digits < 9 { fraction = fraction * 10 + Int64(chars[j] - 48); digits += 1 }
                        j += 1
                    }
                    guard j > i + 1 else { return nil }
                    nanos = fraction * Int64(pow10(9 - digits))
                    i = j
                }
            }
        }
        var offset = 0
        if i < chars.count {
            if chars[i] == 90 || chars[i] == 122 {  // Z
                i += 1
            } else if chars[i] == 43 || chars[i] == 45 {  // + or -
                guard let hours = number(i + 1, 2), i + 3 < chars.count, chars[i + 3] == 58, let minutes = number(i + 4, 2) else { return nil }
                offset = (hours * 3600 + minutes * 60) * (chars[i] == 43 ? 1 : -1)
                i += 6
            }
        }
        guard i == chars.count else { return nil }
        let days = Timestamp.daysSinceEpoch(year: year, month: month, day: day)
        return Int64(days * 86400 + seconds - offset) * 1_000_000_000 + nanos
    }

    private static func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { acc, _ in acc * 10 } }
}
