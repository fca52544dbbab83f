/// A value given to a daemon option, by flag or in `daemon.json`.
enum OptionValue: Sendable, Equatable {
    case bool(Bool)
    case string(String)
    case int(Int)
    case list([String])

    /// The value as Go's `%v` prints it, for dockerd's conflict messages (`[unix:///a.sock]`).
    var goDescription: String {
        switch self {
        case .bool(let b): "\(b)"
        case .string(let s): s
        case .int(let n): "\(n)"
        case .list(let l): "[\(l.joined(separator: " "))]"
        }
    }

    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int: Int? { if case .int(let n) = self { n } else { nil } }
    var list: [String]? { if case .list(let l) = self { l } else { nil } }
}
