import BerthCore

// The OCI runtime spec's JSON, read and written by hand (`JSONReader`, `JSONWriter`): a runtime
// reads `config.json` and its init reads its configuration as fresh processes, where
// FoundationEssentials' Codable costs milliseconds of conformance look-ups before any work.
// Keys are the spec's; unknown keys are skipped and `null` reads as absent, as Go's decoder
// (runc's) does; a member written only when present, as Go's `omitempty`.

extension RuntimeSpec: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        self.init()
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "ociVersion": ociVersion = try reader.readOptionalString() ?? ociVersion
            case "process": process = try reader.read()
            case "root": root = try reader.read()
            case "hostname": hostname = try reader.readOptionalString()
            case "domainname": domainname = try reader.readOptionalString()
            case "mounts": mounts = try reader.readArray(of: Mount.self)
            case "linux": linux = try reader.read()
            default: try reader.skipValue()
            }
        }
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("ociVersion", ociVersion)
        writer.member("process", process)
        writer.member("root", root)
        writer.member("hostname", hostname)
        writer.member("domainname", domainname)
        writer.member("mounts", mounts)
        writer.member("linux", linux)
        writer.endObject()
    }
}

extension RuntimeSpec.Process: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        self.init()
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "terminal": terminal = try reader.readOptionalBool()
            case "user": user = try reader.read() ?? user
            case "args": args = try reader.readOptionalStrings()
            case "env": env = try reader.readOptionalStrings()
            case "cwd": cwd = try reader.readOptionalString() ?? cwd
            case "capabilities": capabilities = try reader.read()
            case "rlimits": rlimits = try reader.readArray(of: RuntimeSpec.Rlimit.self)
            case "noNewPrivileges": noNewPrivileges = try reader.readOptionalBool()
            case "oomScoreAdj": oomScoreAdj = try reader.readOptionalInteger()
            default: try reader.skipValue()
            }
        }
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("terminal", terminal)
        writer.member("user", user)
        writer.member("args", args)
        writer.member("env", env)
        writer.member("cwd", cwd)
        writer.member("capabilities", capabilities)
        writer.member("rlimits", rlimits)
        writer.member("noNewPrivileges", noNewPrivileges)
        writer.member("oomScoreAdj", oomScoreAdj)
        writer.endObject()
    }
}

extension RuntimeSpec.User: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        self.init()
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "uid": uid = try reader.readOptionalInteger() ?? 0
            case "gid": gid = try reader.readOptionalInteger() ?? 0
            case "additionalGids": additionalGids = try reader.readArray { r throws(JSONError) in try r.readInteger(UInt32.self) }
            case "umask": umask = try reader.readOptionalInteger()
            default: try reader.skipValue()
            }
        }
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("uid", uid)
        writer.member("gid", gid)
        if let additionalGids {
            writer.key("additionalGids")
            writer.beginArray()
            for gid in additionalGids { writer.integer(gid) }
            writer.endArray()
        }
        writer.member("umask", umask)
        writer.endObject()
    }
}

extension RuntimeSpec.Capabilities: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        self.init()
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "bounding": bounding = try reader.readOptionalStrings()
            case "effective": effective = try reader.readOptionalStrings()
            case "inheritable": inheritable = try reader.readOptionalStrings()
            case "permitted": permitted = try reader.readOptionalStrings()
            case "ambient": ambient = try reader.readOptionalStrings()
            default: try reader.skipValue()
            }
        }
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("bounding", bounding)
        writer.member("effective", effective)
        writer.member("inheritable", inheritable)
        writer.member("permitted", permitted)
        writer.member("ambient", ambient)
        writer.endObject()
    }
}

extension RuntimeSpec.Rlimit: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var type: String?, hard: UInt64 = 0, soft: UInt64 = 0
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "type": type = try reader.readOptionalString()
            case "hard": hard = try reader.readOptionalInteger() ?? 0
            case "soft": soft = try reader.readOptionalInteger() ?? 0
            default: try reader.skipValue()
            }
        }
        guard let type else { throw reader.missing("type") }
        self.init(type: type, hard: hard, soft: soft)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("type", type)
        writer.member("hard", hard)
        writer.member("soft", soft)
        writer.endObject()
    }
}

extension RuntimeSpec.Root: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var path = "", readonly: Bool?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "path": path = try reader.readOptionalString() ?? ""
            case "readonly": readonly = try reader.readOptionalBool()
            default: try reader.skipValue()
            }
        }
        self.init(path: path, readonly: readonly)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("path", path)
        writer.member("readonly", readonly)
        writer.endObject()
    }
}

extension RuntimeSpec.Mount: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var destination: String?, type: String?, source: String?, options: [String]?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "destination": destination = try reader.readOptionalString()
            case "type": type = try reader.readOptionalString()
            case "source": source = try reader.readOptionalString()
            case "options": options = try reader.readOptionalStrings()
            default: try reader.skipValue()
            }
        }
        guard let destination else { throw reader.missing("destination") }
        self.init(destination: destination, type: type, source: source, options: options)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("destination", destination)
        writer.member("type", type)
        writer.member("source", source)
        writer.member("options", options)
        writer.endObject()
    }
}

extension RuntimeSpec.Linux: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        self.init()
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "namespaces": namespaces = try reader.readArray(of: RuntimeSpec.Namespace.self)
            case "devices": devices = try reader.readArray(of: RuntimeSpec.Device.self)
            case "resources": resources = try reader.read()
            case "cgroupsPath": cgroupsPath = try reader.readOptionalString()
            case "sysctl": sysctl = try reader.readStringDictionary()
            case "rootfsPropagation": rootfsPropagation = try reader.readOptionalString()
            case "maskedPaths": maskedPaths = try reader.readOptionalStrings()
            case "readonlyPaths": readonlyPaths = try reader.readOptionalStrings()
            case "seccomp": seccomp = try reader.read()
            default: try reader.skipValue()
            }
        }
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("namespaces", namespaces)
        writer.member("devices", devices)
        writer.member("resources", resources)
        writer.member("cgroupsPath", cgroupsPath)
        if let sysctl {
            writer.key("sysctl")
            writer.beginObject()
            for (name, value) in sysctl.sorted(by: { $0.key < $1.key }) {
                writer.key(name)
                writer.string(value)
            }
            writer.endObject()
        }
        writer.member("rootfsPropagation", rootfsPropagation)
        writer.member("maskedPaths", maskedPaths)
        writer.member("readonlyPaths", readonlyPaths)
        writer.member("seccomp", seccomp)
        writer.endObject()
    }
}

extension RuntimeSpec.Namespace: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var type: String?, path: String?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "type": type = try reader.readOptionalString()
            case "path": path = try reader.readOptionalString()
            default: try reader.skipValue()
            }
        }
        guard let type else { throw reader.missing("type") }
        self.init(type: type, path: path)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("type", type)
        writer.member("path", path)
        writer.endObject()
    }
}

extension RuntimeSpec.Device: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var path: String?, type: String?, major: Int64?, minor: Int64?, fileMode: UInt32?, uid: UInt32?, gid: UInt32?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "path": path = try reader.readOptionalString()
            case "type": type = try reader.readOptionalString()
            case "major": major = try reader.readOptionalInteger()
            case "minor": minor = try reader.readOptionalInteger()
            case "fileMode": fileMode = try reader.readOptionalInteger()
            case "uid": uid = try reader.readOptionalInteger()
            case "gid": gid = try reader.readOptionalInteger()
            default: try reader.skipValue()
            }
        }
        guard let path else { throw reader.missing("path") }
        guard let type else { throw reader.missing("type") }
        self.init(path: path, type: type, major: major, minor: minor, fileMode: fileMode, uid: uid, gid: gid)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("path", path)
        writer.member("type", type)
        writer.member("major", major)
        writer.member("minor", minor)
        writer.member("fileMode", fileMode)
        writer.member("uid", uid)
        writer.member("gid", gid)
        writer.endObject()
    }
}

extension RuntimeSpec.Resources: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        self.init()
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "devices": devices = try reader.readArray(of: RuntimeSpec.DeviceRule.self)
            case "memory": memory = try reader.read()
            case "cpu": cpu = try reader.read()
            case "pids": pids = try reader.read()
            case "blockIO": blockIO = try reader.read()
            default: try reader.skipValue()
            }
        }
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("devices", devices)
        writer.member("memory", memory)
        writer.member("cpu", cpu)
        writer.member("pids", pids)
        writer.member("blockIO", blockIO)
        writer.endObject()
    }
}

extension RuntimeSpec.DeviceRule: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var allow = false, type: String?, major: Int64?, minor: Int64?, access: String?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "allow": allow = try reader.readOptionalBool() ?? false
            case "type": type = try reader.readOptionalString()
            case "major": major = try reader.readOptionalInteger()
            case "minor": minor = try reader.readOptionalInteger()
            case "access": access = try reader.readOptionalString()
            default: try reader.skipValue()
            }
        }
        self.init(allow: allow, type: type, major: major, minor: minor, access: access)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("allow", allow)
        writer.member("type", type)
        writer.member("major", major)
        writer.member("minor", minor)
        writer.member("access", access)
        writer.endObject()
    }
}

extension RuntimeSpec.Memory: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        self.init()
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "limit": limit = try reader.readOptionalInteger()
            case "reservation": reservation = try reader.readOptionalInteger()
            case "swap": swap = try reader.readOptionalInteger()
            case "swappiness": swappiness = try reader.readOptionalInteger()
            case "disableOOMKiller": disableOOMKiller = try reader.readOptionalBool()
            default: try reader.skipValue()
            }
        }
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("limit", limit)
        writer.member("reservation", reservation)
        writer.member("swap", swap)
        writer.member("swappiness", swappiness)
        writer.member("disableOOMKiller", disableOOMKiller)
        writer.endObject()
    }
}

extension RuntimeSpec.CPU: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        self.init()
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "shares": shares = try reader.readOptionalInteger()
            case "quota": quota = try reader.readOptionalInteger()
            case "period": period = try reader.readOptionalInteger()
            case "cpus": cpus = try reader.readOptionalString()
            case "mems": mems = try reader.readOptionalString()
            default: try reader.skipValue()
            }
        }
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("shares", shares)
        writer.member("quota", quota)
        writer.member("period", period)
        writer.member("cpus", cpus)
        writer.member("mems", mems)
        writer.endObject()
    }
}

extension RuntimeSpec.Pids: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var limit: Int64 = 0
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "limit": limit = try reader.readOptionalInteger() ?? 0
            default: try reader.skipValue()
            }
        }
        self.init(limit: limit)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("limit", limit)
        writer.endObject()
    }
}

extension RuntimeSpec.BlockIO: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var weight: UInt16?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "weight": weight = try reader.readOptionalInteger()
            default: try reader.skipValue()
            }
        }
        self.init(weight: weight)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("weight", weight)
        writer.endObject()
    }
}

extension RuntimeSpec.Seccomp: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var defaultAction: String?, defaultErrnoRet: UInt32?, architectures: [String]?, syscalls: [RuntimeSpec.Syscall]?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "defaultAction": defaultAction = try reader.readOptionalString()
            case "defaultErrnoRet": defaultErrnoRet = try reader.readOptionalInteger()
            case "architectures": architectures = try reader.readOptionalStrings()
            case "syscalls": syscalls = try reader.readArray(of: RuntimeSpec.Syscall.self)
            default: try reader.skipValue()
            }
        }
        guard let defaultAction else { throw reader.missing("defaultAction") }
        self.init(defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet, architectures: architectures, syscalls: syscalls)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("defaultAction", defaultAction)
        writer.member("defaultErrnoRet", defaultErrnoRet)
        writer.member("architectures", architectures)
        writer.member("syscalls", syscalls)
        writer.endObject()
    }
}

extension RuntimeSpec.Syscall: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var names: [String] = [], action: String?, errnoRet: UInt32?, args: [RuntimeSpec.SyscallArgument]?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "names": names = try reader.readOptionalStrings() ?? []
            case "action": action = try reader.readOptionalString()
            case "errnoRet": errnoRet = try reader.readOptionalInteger()
            case "args": args = try reader.readArray(of: RuntimeSpec.SyscallArgument.self)
            default: try reader.skipValue()
            }
        }
        guard let action else { throw reader.missing("action") }
        self.init(names: names, action: action, errnoRet: errnoRet, args: args)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("names", names)
        writer.member("action", action)
        writer.member("errnoRet", errnoRet)
        writer.member("args", args)
        writer.endObject()
    }
}

extension RuntimeSpec.SyscallArgument: JSONReadable, JSONWritable {
    public init(json reader: inout JSONReader) throws(JSONError) {
        var index: UInt32 = 0, value: UInt64 = 0, valueTwo: UInt64?, op: String?
        try reader.beginObject()
        while let key = try reader.nextKey() {
            switch key {
            case "index": index = try reader.readOptionalInteger() ?? 0
            case "value": value = try reader.readOptionalInteger() ?? 0
            case "valueTwo": valueTwo = try reader.readOptionalInteger()
            case "op": op = try reader.readOptionalString()
            default: try reader.skipValue()
            }
        }
        guard let op else { throw reader.missing("op") }
        self.init(index: index, value: value, valueTwo: valueTwo, op: op)
    }

    public func write(json writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("index", index)
        writer.member("value", value)
        writer.member("valueTwo", valueTwo)
        writer.member("op", op)
        writer.endObject()
    }
}
