/// JSON string literals written by hand where encoding a whole value would cost too much (error
/// bodies, log lines), escaped as Go's `encoding/json` does so that bytes match Docker's: `<`, `>`
/// and `&` become `\u003c`, `\u003e`, `\u0026`, and U+2028 and U+2029 are escaped too.
public enum JSONText {
    /// A JSON string literal, quotes included.
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `s` as a JSON string literal, quotes included.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(quote)
        let utf8 = s.utf8
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            switch b {
            case quote: out.append(contentsOf: [backslash, quote])
            case backslash: out.append(contentsOf: [backslash, backslash])
            case 0x0A: out.append(contentsOf: [backslash, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [backslash, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [backslash, UInt8(ascii: "t")])
            case 0..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                appendEscape(UInt32(b), to: &out)
            case 0xE2:
                // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
                let j = utf8.index(after: i)
                if j != utf8.endIndex, utf8[j] == 0x80, case let k = utf8.index(after: j), k != utf8.endIndex,
                   utf8[k] == 0xA8 || utf8[k] == 0xA9 {
                    appendEscape(utf8[k] == 0xA8 ? 0x2028 : 0x2029, to: &out)
                    i = k
                } else {
                    out.append(b)
                }
            default: out.append(b)
            }
            i = utf8.index(after: i)
        }
        out.append(quote)
    }

    private static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `\uXXXX` for a code point below U+10000.
    private static func appendEscape(_ scalar: UInt32, to out: inout [UInt8]) {
        out.append(backslash)
        out.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int(scalar >> UInt32(shift) & 0xF)]) }
    }
}
