#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time as the daemon writes it, and the civil calendar under it: RFC 3339 with
/// nanoseconds (log lines, events, `/info`, state dumps) and IMF-fixdate (the HTTP `Date` field).
/// Pure arithmetic on Unix time, so no time zone database or locale is involved.
public enum Timestamp {
    /// Nanoseconds since the Unix epoch, from `CLOCK_REALTIME`.
    public static func nowNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// `2026-11-22T18:45:53.123456789Z`: RFC 3339 in UTC with nine fraction digits, the fixed
    /// width dockerd logs with.
    public static func rfc3339(nanoseconds: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(30)
        appendRFC3339(nanoseconds: nanoseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `rfc3339(nanoseconds:)`'s text.
    public static func appendRFC3339(nanoseconds: Int64, to out: inout [UInt8]) {
        let (seconds, fraction) = floorDivide(nanoseconds, 1_000_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let date = civilDate(daysSinceEpoch: Int(days))
        appendDigits(date.year, 4, &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(date.month, 2, &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(date.day, 2, &out)
        out.append(UInt8(ascii: "T"))
        appendTimeOfDay(Int(secondOfDay), &out)
        out.append(UInt8(ascii: "."))
        appendDigits(Int(fraction), 9, &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// `2026-11-22T18:45:53.1Z`: Go's `RFC3339Nano`, whose fraction drops trailing zeros (and
    /// its dot when nothing is left): how Go encodes a time in JSON, and how dockerd writes
    /// json-file lines and inspect times.
    public static func rfc3339Nano(nanoseconds: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(30)
        appendRFC3339Nano(nanoseconds: nanoseconds, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `rfc3339Nano(nanoseconds:)`'s text.
    public static func appendRFC3339Nano(nanoseconds: Int64, to out: inout [UInt8]) {
        appendRFC3339(nanoseconds: nanoseconds, to: &out)
        out.removeLast()  // Z
        while out.last == UInt8(ascii: "0") { out.removeLast() }
        if out.last == UInt8(ascii: ".") { out.removeLast() }
        out.append(UInt8(ascii: "Z"))
    }

    /// `Sun, 22 Nov 2026 18:45:53 GMT` (RFC 9110's IMF-fixdate).
    public static func imfFixdate(epochSeconds: Int) -> String {
        let (days, secondOfDay) = floorDivide(Int64(epochSeconds), 86_400)
        let date = civilDate(daysSinceEpoch: Int(days))
        let weekday = Int(floorDivide(days + 4, 7).remainder)  // 1970-01-01 was a Thursday
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out.append(contentsOf: weekdays[weekday].utf8)
        out.append(contentsOf: ", ".utf8)
        appendDigits(date.day, 2, &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: months[date.month - 1].utf8)
        out.append(UInt8(ascii: " "))
        appendDigits(date.year, 4, &out)
        out.append(UInt8(ascii: " "))
        appendTimeOfDay(Int(secondOfDay), &out)
        out.append(contentsOf: " GMT".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Nanoseconds since the Unix epoch of an RFC 3339 time (`2026-11-22T18:47:21.45Z`,
    /// `2026-11-22T18:47:21+01:00`, or a date alone; a time without a zone is UTC), or nil.
    public static func parseRFC3339(_ text: String) -> Int64? {
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
                    nanos = fraction * Int64(powerOfTen(9 - digits))
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
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return Int64(days * 86400 + seconds - offset) * 1_000_000_000 + nanos
    }

    private static func powerOfTen(_ n: Int) -> Int { (0..<n).reduce(1) { acc, _ in acc * 10 } }

    /// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
    public static func civilDate(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth + (shiftedMonth < 10 ? 3 : -9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date: the inverse of `civilDate`.
    public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Quotient and remainder rounded towards negative infinity, so times before 1970 format too.
    private static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// `hh:mm:ss` of a second of the day.
    private static func appendTimeOfDay(_ secondOfDay: Int, _ out: inout [UInt8]) {
        appendDigits(secondOfDay / 3600, 2, &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 3600 / 60, 2, &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, 2, &out)
    }

    /// `value` (not negative) in decimal, zero-padded to at least `width` digits.
    private static func appendDigits(_ value: Int, _ width: Int, _ out: inout [UInt8]) {
        var count = 1
        var rest = value / 10
        while rest > 0 { count += 1; rest /= 10 }
        let end = out.count + max(width, count)
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: end - out.count))
        var v = value, i = end - 1
        repeat {
            out[i] = UInt8(48 + v % 10)
            v /= 10
            i -= 1
        } while v > 0
    }
}
