import BerthCore

/// The key sequence that detaches a client from a container's input without stopping it
/// (`ctrl-p,ctrl-q` by default), and the scanner that finds it in the client's bytes.
struct DetachKeys: Sendable, Equatable {
    let sequence: [UInt8]

    static let standard = DetachKeys(sequence: [16, 17])

    init(sequence: [UInt8]) {
        self.sequence = sequence
    }

    /// Docker's notation: comma-separated keys, each a single character or `ctrl-<x>` for `x`
    /// in `a`–`z`, `@`, `[`, `\`, `]`, `^`, `_`. Empty means the default.
    init(_ text: String) throws {
        guard !text.isEmpty else {
            self = .standard
            return
        }
        var sequence: [UInt8] = []
        for key in text.split(separator: ",", omittingEmptySubsequences: false) {
            let lower = key.lowercased()
            if lower.hasPrefix("ctrl-"), lower.count == 6, let last = lower.utf8.last {
                switch last {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): sequence.append(last - UInt8(ascii: "a") + 1)
                case UInt8(ascii: "@"): sequence.append(0)
                case UInt8(ascii: "["), UInt8(ascii: "\\"), UInt8(ascii: "]"), UInt8(ascii: "^"), UInt8(ascii: "_"):
                    sequence.append(last - 64)
                default: throw APIError.invalidParameter("Invalid detach keys (\(text)) provided")
                }
            } else if key.utf8.count == 1, let byte = key.utf8.first {
                sequence.append(byte)
            } else {
                throw APIError.invalidParameter("Invalid detach keys (\(text)) provided")
            }
        }
        self.sequence = sequence
    }

    /// Finds the sequence across pieces of input: `feed` returns what may go on to the
    /// container (bytes of a partial match are held back until it breaks), and whether the
    /// sequence is complete (the client detaches; what follows it is dropped).
    struct Scanner {
        let keys: DetachKeys
        private var matched = 0

        init(_ keys: DetachKeys) { self.keys = keys }

        mutating func feed(_ bytes: [UInt8]) -> (forward: [UInt8], detach: Bool) {
            var forward: [UInt8] = []
            for byte in bytes {
                if byte == keys.sequence[matched] {
                    matched += 1
                    if matched == keys.sequence.count { return (forward, true) }
                } else {
                    forward += keys.sequence[..<matched]
                    matched = byte == keys.sequence[0] ? 1 : 0
                    if matched == 0 { forward.append(byte) }
                }
            }
            return (forward, false)
        }
    }
}
