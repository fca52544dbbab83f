import BerthCore

/// What a container's init receives from its creator over the init socket, as JSON.
struct InitConfig: Sendable {
    /// The container's configuration, its root an absolute path.
    var spec: RuntimeSpec
    /// Wait for `start` by opening for writing the FIFO this descriptor (O_PATH) names
    /// (`berth-runtime create`, whose process exits before `start` comes), instead of by a message
    /// on the init socket.
    var startFIFODescriptor: Int32?
    /// Send a terminal's master over this connected unix socket (`berth-runtime --console-socket`,
    /// connected by the creator: after pivot_root its path names nothing) instead of over the
    /// init socket.
    var consoleSocketDescriptor: Int32?
    /// Run `spec.process` in a running container, whose namespaces init's constructor joined
    /// (`docker exec`), instead of setting up a new one.
    var joinsRunningContainer = false
    /// Stay as PID 1 and run the command as a child (`docker run --init`): forward signals to
    /// it, reap every zombie, exit with its status.
    var staysAsInit = false
    /// The container's cgroup, for a `cgroup` mount (`/sys/fs/cgroup`).
    var cgroup: Cgroup?
    /// `spec.linux.seccomp` compiled by the creator (`SeccompProgram`), to install as it is
    /// (hexadecimal in the JSON; the profile itself is not sent: init would only spend time
    /// reading it).
    var seccompProgram: [UInt8]?

    init(spec: RuntimeSpec, startFIFODescriptor: Int32? = nil, consoleSocketDescriptor: Int32? = nil,
         joinsRunningContainer: Bool = false, staysAsInit: Bool = false, cgroup: Cgroup? = nil) throws(RuntimeError) {
        self.spec = spec
        self.startFIFODescriptor = startFIFODescriptor
        self.consoleSocketDescriptor = consoleSocketDescriptor
        self.joinsRunningContainer = joinsRunningContainer
        self.staysAsInit = staysAsInit
        self.cgroup = cgroup
        seccompProgram = try spec.linux?.seccomp.map { profile throws(RuntimeError) in try SeccompProgram.program(for: profile) }
        self.spec.linux?.seccomp = nil
    }
}

extension InitConfig: JSONReadable, JSONWritable {
    init(json reader: inout JSONReader) throws(JSONError) {
        var spec: RuntimeSpec?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "spec": spec = try reader.read()
            case "startFIFODescriptor": startFIFODescriptor = try reader.readOptionalInteger()
            case "consoleSocketDescriptor": consoleSocketDescriptor = try reader.readOptionalInteger()
            case "joinsRunningContainer": joinsRunningContainer = try reader.readBool()
            case "staysAsInit": staysAsInit = try reader.readBool()
            case "cgroup": cgroup = try reader.read()
            case "seccompProgram":
                guard let text = try reader.readOptionalString() else { continue }
                guard let program = Self.bytes(hexadecimal: text) else { throw reader.error("seccompProgram is not hexadecimal") }
                seccompProgram = program
            default: try reader.skipValue()
            }
        }
        guard let spec else { throw reader.missing("spec") }
        self.spec = spec
    }

    func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("spec", spec)
        writer.member("startFIFODescriptor", startFIFODescriptor)
        writer.member("consoleSocketDescriptor", consoleSocketDescriptor)
        writer.member("joinsRunningContainer", joinsRunningContainer)
        writer.member("staysAsInit", staysAsInit)
        writer.member("cgroup", cgroup)
        writer.member("seccompProgram", seccompProgram.map(Self.hexadecimal))
        writer.endObject()
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hexadecimal(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func bytes(hexadecimal text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
