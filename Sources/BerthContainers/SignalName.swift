import BerthCore

/// Signals as users name them to `docker kill -s` and `STOPSIGNAL`: `HUP`, `SIGHUP`, `1`,
/// `RTMIN+3`, any case.
enum SignalName {
    private static let numbers: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "IOT": 6, "BUS": 7, "FPE": 8, "KILL": 9, "USR1": 10,
        "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18, "STOP": 19,
        "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26, "PROF": 27, "WINCH": 28,
        "IO": 29, "POLL": 29, "PWR": 30, "SYS": 31, "RTMIN": 34, "RTMAX": 64,
    ]

    /// The signal's number; a 400 `Invalid signal: NOPE` for anything else.
    static func parse(_ text: String) throws -> Int32 {
        if let number = Int32(text) {
            guard (1...64).contains(number) else { throw APIError.invalidParameter("Invalid signal: \(text)") }
            return number
        }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let number = numbers[name] { return number }
        for (base, sign) in [("RTMIN+", Int32(1)), ("RTMAX-", Int32(-1))] where name.hasPrefix(base) {
            if let offset = Int32(name.dropFirst(base.count)), (0...30).contains(offset) {
                return (base.hasPrefix("RTMIN") ? 34 : 64) + sign * offset
            }
        }
        throw APIError.invalidParameter("Invalid signal: \(text)")
    }
}
