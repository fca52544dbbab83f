/// A string quoted as Go's `strconv.Quote` (and so `%q`) writes it: the form dockerd's messages
/// (`strconv.Atoi: parsing "x": invalid syntax`) and its logfmt log values use. Printable text
/// stays as it is; quotes, backslashes and control characters are escaped.
public enum GoQuoted {
    /// `s` in double quotes, escaped.
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        append(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `quoted(s)`.
    public static func append(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: #"\""#.utf8)
            case "\\": out.append(contentsOf: #"\\"#.utf8)
            case "\n": out.append(contentsOf: #"\n"#.utf8)
            case "\r": out.append(contentsOf: #"\r"#.utf8)
            case "\t": out.append(contentsOf: #"\t"#.utf8)
            default:
                let value = scalar.value
                if value < 0x20 || value == 0x7F {
                    out.append(contentsOf: #"\x"#.utf8)
                    appendHex(value, digits: 2, to: &out)
                } else if (0x80...0x9F).contains(value) || value == 0x2028 || value == 0x2029 {
                    out.append(contentsOf: #"\u"#.utf8)
                    appendHex(value, digits: 4, to: &out)
                } else {
                    out.append(contentsOf: String(scalar).utf8)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendHex(_ value: UInt32, digits: Int, to out: inout [UInt8]) {
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            out.append(hexDigits[Int(value >> UInt32(shift) & 0xF)])
        }
    }
}
