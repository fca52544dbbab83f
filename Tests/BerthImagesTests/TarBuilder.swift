/// Builds tar archives byte by byte for tests, hostile ones included: ustar headers, and pax
/// records or a GNU long-name entry before an entry when asked (for xattrs and long names).
struct TarBuilder {
    private(set) var bytes: [UInt8] = []

    enum Kind: UInt8 {
        case file = 48, hardlink = 49, symlink = 50, characterDevice = 51, blockDevice = 52, directory = 53, fifo = 54
    }

    mutating func add(_ name: String, _ kind: Kind = .file, mode: Int = 0o644, uid: Int = 0, gid: Int = 0,
                      data: [UInt8] = [], link: String = "", major: Int = 0, minor: Int = 0, mtime: Int = 1_700_000_000,
                      pax: [(String, String)] = [], paxBytes: [(String, [UInt8])] = [], gnuLongName: Bool = false) {
        if gnuLongName {
            let long = Array(name.utf8) + [0]
            bytes += header(name: "././@LongLink", typeflag: UInt8(ascii: "L"), mode: 0o644, uid: 0, gid: 0,
                            size: long.count, mtime: 0, link: "", major: 0, minor: 0)
            bytes += padded(long)
        }
        let paxRecords = pax.map { ($0.0, Array($0.1.utf8)) } + paxBytes
        if !paxRecords.isEmpty {
            let records = paxRecords.reduce(into: [UInt8]()) { out, record in
                let body = Array(" \(record.0)=".utf8) + record.1 + [10]
                var length = body.count + 1
                while String(length).utf8.count + body.count != length { length = String(length).utf8.count + body.count }
                out += Array(String(length).utf8) + body
            }
            bytes += header(name: "PaxHeaders/x", typeflag: UInt8(ascii: "x"), mode: 0o644, uid: 0, gid: 0,
                            size: records.count, mtime: mtime, link: "", major: 0, minor: 0)
            bytes += padded(records)
        }
        bytes += header(name: name, typeflag: kind.rawValue, mode: mode, uid: uid, gid: gid, size: data.count,
                        mtime: mtime, link: link, major: major, minor: minor)
        bytes += padded(data)
    }

    /// A little system: `etc/` and `etc/hosts` (owner 1000:100, set times), a setuid
    /// `bin/busybox`, `bin/sh` a symlink to it and `bin/ls` a hard link.
    mutating func addSystemFiles() {
        add("etc/", .directory, mode: 0o755, mtime: 1_600_000_000)
        add("etc/hosts", uid: 1000, gid: 100, data: Array("127.0.0.1 localhost\n".utf8), mtime: 1_650_000_000)
        add("bin/busybox", mode: 0o4755, data: [0x7F, 0x45, 0x4C, 0x46])
        add("bin/sh", .symlink, link: "/bin/busybox")
        add("bin/ls", .hardlink, link: "bin/busybox")
    }

    /// The archive with its two zero blocks.
    var archive: [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }

    private func padded(_ data: [UInt8]) -> [UInt8] {
        data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    private func header(name: String, typeflag: UInt8, mode: Int, uid: Int, gid: Int, size: Int, mtime: Int,
                        link: String, major: Int, minor: Int) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ text: [UInt8], at offset: Int, width: Int) {
            for (i, b) in text.prefix(width).enumerated() { h[offset + i] = b }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8), at: offset, width: width - 1)
        }
        put(Array(name.utf8), at: 0, width: 100)
        octal(mode, at: 100, width: 8)
        octal(uid, at: 108, width: 8)
        octal(gid, at: 116, width: 8)
        octal(size, at: 124, width: 12)
        octal(mtime, at: 136, width: 12)
        h[156] = typeflag
        put(Array(link.utf8), at: 157, width: 100)
        put(Array("ustar\0".utf8), at: 257, width: 6)
        put(Array("00".utf8), at: 263, width: 2)
        octal(major, at: 329, width: 8)
        octal(minor, at: 337, width: 8)
        for i in 148..<156 { h[i] = 32 }
        let sum = h.reduce(0) { $0 + Int($1) }
        let digits = String(sum, radix: 8)
        put(Array((String(repeating: "0", count: 6 - digits.count) + digits).utf8) + [0, 32], at: 148, width: 8)
        return h
    }
}
