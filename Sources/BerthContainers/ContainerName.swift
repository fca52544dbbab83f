import BerthCore

/// Containers' names: Docker's rules for the ones users give, and generated ones
/// (`adjective_scientist`) for the others.
enum ContainerName {
    /// The name without its leading `/`, or a 400 with dockerd's text if it breaks the rules
    /// (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`).
    static func validated(_ name: String) throws -> String {
        let bare = name.hasPrefix("/") ? String(name.dropFirst()) : name
        let bytes = Array(bare.utf8)
        func alphanumeric(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        guard bytes.count >= 2, alphanumeric(bytes[0]),
              bytes.dropFirst().allSatisfy({ alphanumeric($0) || $0 == 95 || $0 == 46 || $0 == 45 }) else {
            throw APIError.invalidParameter("Invalid container name (\(name)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        return bare
    }

    private static let adjectives = [
        "agile", "amazing", "bold", "brave", "bright", "busy", "calm", "careful", "clever", "cool", "curious", "dazzling",
        "eager", "elegant", "epic", "fervent", "focused", "friendly", "gallant", "gentle", "happy", "hopeful", "jolly",
        "keen", "kind", "lucid", "loving", "modest", "nifty", "noble", "patient", "quiet", "quirky", "relaxed", "serene",
        "sharp", "silly", "stoic", "sweet", "tender", "trusting", "upbeat", "vibrant", "vigilant", "wizardly", "zealous",
    ]

    private static let scientists = [
        "agnesi", "babbage", "bohr", "curie", "darwin", "dijkstra", "einstein", "euclid", "euler", "faraday", "fermat",
        "fermi", "feynman", "franklin", "galileo", "gauss", "goodall", "hamilton", "hawking", "hopper", "hypatia", "kepler",
        "knuth", "lamarr", "leakey", "lovelace", "maxwell", "meitner", "mendel", "newton", "noether", "pascal", "pasteur",
        "planck", "ramanujan", "ritchie", "robinson", "shannon", "tesla", "thompson", "torvalds", "turing", "wilson", "wozniak",
    ]

    /// A name such as `happy_turing`; after `retry` collisions a digit is appended, as dockerd does.
    static func generated(retry: Int = 0) -> String {
        var generator = SystemRandomNumberGenerator()
        let name = "\(adjectives.randomElement(using: &generator) ?? "kind")_\(scientists.randomElement(using: &generator) ?? "euclid")"
        return retry > 0 ? name + String(Int.random(in: 0..<10, using: &generator)) : name
    }
}
