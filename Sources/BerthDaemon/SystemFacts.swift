import BerthCore
#if canImport(Glibc)
import Glibc
#endif

/// Facts about this machine that `/info` and `/version` report. Gathered once at start-up, on the
/// main thread, before any task runs; `ProcessFacts` holds the ones that change.
public struct SystemFacts: Sendable {
    public var hostname = ""
    public var kernelVersion = ""
    public var architecture = ""
    public var operatingSystem = ""
    public var osVersion = ""
    public var cpus = 1
    public var memoryTotal = 0
    public var cgroupVersion = "1"
    public var cgroupControllers: Set<String> = []
    public var ipv4Forwarding = false

    public init() {}

    /// Reads the facts from the kernel and `/etc/os-release`.
    public static func gather() -> SystemFacts {
        var facts = SystemFacts()
        var name = utsname()
        if uname(&name) == 0 {
            facts.kernelVersion = withUnsafeBytes(of: name.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }  // a C array is never empty
            facts.architecture = withUnsafeBytes(of: name.machine) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }  // a C array is never empty
        }
        var host = [CChar](repeating: 0, count: 256)
        if gethostname(&host, host.count - 1) == 0 { facts.hostname = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        facts.cpus = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        if let meminfo = SmallFile.text("/proc/meminfo"),
           let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            facts.memoryTotal = kib * 1024
        }
        if let release = SmallFile.text("/etc/os-release") {
            let fields = parseOSRelease(release)
            facts.operatingSystem = fields["PRETTY_NAME"] ?? fields["NAME"] ?? "Linux"
            facts.osVersion = fields["VERSION_ID"] ?? ""
        }
        if let controllers = SmallFile.text("/sys/fs/cgroup/cgroup.controllers") {
            facts.cgroupVersion = "2"
            facts.cgroupControllers = Set(controllers.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        }
        facts.ipv4Forwarding = SmallFile.text("/proc/sys/net/ipv4/ip_forward")?.hasPrefix("1") ?? false
        return facts
    }

    static func parseOSRelease(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = line[line.index(after: eq)...]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            fields[String(line[..<eq])] = String(value)
        }
        return fields
    }

}

/// Facts about this process that change while it runs (open descriptors, threads).
enum ProcessFacts {
    /// The number of open file descriptors, from `/proc/self/fd`.
    static func openDescriptors() -> Int {
        guard let dir = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while readdir(dir) != nil { count += 1 }
        return max(0, count - 3)  // ".", ".." and the directory's own descriptor
    }

    /// The number of threads, from `/proc/self/status`.
    static func threads() -> Int {
        guard let status = SmallFile.text("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Threads:") }) else { return 0 }
        return Int(line.dropFirst("Threads:".count).drop(while: { $0 == " " || $0 == "\t" })) ?? 0
    }
}
