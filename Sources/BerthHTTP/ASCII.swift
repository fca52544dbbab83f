/// Byte classes from RFC 9110 and RFC 9112, as lookup tables.
enum ASCII {
    static let cr: UInt8 = 13, lf: UInt8 = 10, sp: UInt8 = 32, htab: UInt8 = 9, colon: UInt8 = 58

    /// `tchar`: the characters of a token (method, header name).
    static let isTokenTable: [Bool] = (0..<256).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(UInt8(b))
        }
    }

    @inline(__always) static func isToken(_ b: UInt8) -> Bool { isTokenTable[Int(b)] }

    /// A byte allowed in a field value: HTAB, visible ASCII, SP and obs-text.
    @inline(__always) static func isFieldValue(_ b: UInt8) -> Bool { b == htab || (b >= 0x20 && b != 0x7F) }

    /// A byte allowed in a request target: visible ASCII only.
    @inline(__always) static func isTargetByte(_ b: UInt8) -> Bool { b > 0x20 && b < 0x7F }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// Compares bytes to a lowercase ASCII literal, ignoring case.
    static func equalsLowercased(_ bytes: UnsafeRawBufferPointer.SubSequence, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        var p = literal.utf8Start
        for b in bytes {
            if lower(b) != p.pointee { return false }
            p += 1
        }
        return true
    }
}
