/// Small JSON helpers for bodies written by hand on hot paths (errors), with Go's escaping so
/// bytes match what Docker sends: `<`, `>` and `&` become `\u003c`, `\u003e`, `\u0026`.
public enum JSONText {
    /// A JSON string literal, quotes included.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }

    /// Docker's error body: `{"message":"…"}` and a newline.
    public static func errorBody(_ message: String) -> [UInt8] {
        Array("{\"message\":\(quoted(message))}\n".utf8)
    }
}
