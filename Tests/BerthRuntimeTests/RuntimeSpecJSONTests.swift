import BerthCore
@testable import BerthRuntime
import Foundation
import Testing

/// The OCI configuration as a runtime reads it from `config.json` and as init reads it from its
/// creator.
@Suite struct RuntimeSpecJSONTests {
    /// A `config.json` in the shape dockerd 20.10 writes (members Berth does not use included,
    /// some of them `null`), cut down to a few of each list.
    static let dockerConfig = #"""
        {"ociVersion":"1.0.2-dev","process":{"user":{"uid":1000,"gid":1000,"additionalGids":[10,1000]},
        "args":["sh","-c","echo hi"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOSTNAME=0123456789ab"],
        "cwd":"/work","capabilities":{"bounding":["CAP_CHOWN","CAP_KILL"],"effective":["CAP_CHOWN","CAP_KILL"],
        "inheritable":["CAP_CHOWN","CAP_KILL"],"permitted":["CAP_CHOWN","CAP_KILL"]},
        "rlimits":[{"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":1024}],
        "apparmorProfile":"docker-default","oomScoreAdj":-500,"noNewPrivileges":true},
        "root":{"path":"/var/lib/docker/overlay2/0123/merged"},"hostname":"0123456789ab",
        "mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},
        {"destination":"/etc/hosts","type":"bind","source":"/var/lib/docker/containers/0123/hosts","options":["rbind","rprivate"]}],
        "hooks":{"prestart":[{"path":"/proc/4242/exe","args":["libnetwork-setkey","-exec-root=/var/run/docker","0123","abc"]}]},
        "linux":{"sysctl":{"net.ipv4.ip_unprivileged_port_start":"0"},
        "resources":{"devices":[{"allow":false,"access":"rwm"},{"allow":true,"type":"c","major":1,"minor":5,"access":"rwm"}],
        "memory":{"limit":67108864,"swap":134217728,"disableOOMKiller":false},"cpu":{"shares":512,"quota":50000,"period":100000,"cpus":"0"},
        "pids":{"limit":100},"blockIO":{"weight":300}},"cgroupsPath":"/docker/0123",
        "namespaces":[{"type":"mount"},{"type":"network","path":"/proc/77/ns/net"},{"type":"uts"},{"type":"pid"},{"type":"ipc"}],
        "seccomp":{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
        "syscalls":[{"names":["accept","accept4"],"action":"SCMP_ACT_ALLOW"},
        {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4294967295,"op":"SCMP_CMP_EQ"}]},
        {"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}],"comment":"s390 parameter ordering"}]},
        "devices":[{"path":"/dev/fuse","type":"c","major":10,"minor":229,"fileMode":8630,"uid":0,"gid":0}],
        "maskedPaths":["/proc/asound","/proc/kcore"],"readonlyPaths":["/proc/bus","/proc/sys"],
        "uidMappings":null,"intelRdt":null}}
        """#

    @Test func readsTheConfigurationDockerWrites() throws {
        let spec = try RuntimeSpec(jsonDocument: Array(Self.dockerConfig.utf8))
        #expect(spec.ociVersion == "1.0.2-dev")
        let process = try #require(spec.process)
        #expect(process.user == RuntimeSpec.User(uid: 1000, gid: 1000, additionalGids: [10, 1000]))
        #expect(process.args == ["sh", "-c", "echo hi"])
        #expect(process.env?.count == 2)
        #expect(process.cwd == "/work")
        #expect(process.terminal == nil)
        #expect(process.capabilities?.bounding == ["CAP_CHOWN", "CAP_KILL"])
        #expect(process.capabilities?.ambient == nil)
        #expect(process.rlimits == [RuntimeSpec.Rlimit(type: "RLIMIT_NOFILE", hard: UInt64.max, soft: 1024)])
        #expect(process.oomScoreAdj == -500)
        #expect(process.noNewPrivileges == true)
        #expect(spec.root == RuntimeSpec.Root(path: "/var/lib/docker/overlay2/0123/merged"))
        #expect(spec.hostname == "0123456789ab")
        #expect(spec.mounts?.last == RuntimeSpec.Mount(destination: "/etc/hosts", type: "bind",
                                                        source: "/var/lib/docker/containers/0123/hosts", options: ["rbind", "rprivate"]))
        let linux = try #require(spec.linux)
        #expect(linux.sysctl == ["net.ipv4.ip_unprivileged_port_start": "0"])
        #expect(linux.cgroupsPath == "/docker/0123")
        #expect(linux.namespaces?.map(\.type) == ["mount", "network", "uts", "pid", "ipc"])
        #expect(linux.namespaces?[1].path == "/proc/77/ns/net")
        let resources = try #require(linux.resources)
        #expect(resources.devices?.first == RuntimeSpec.DeviceRule(allow: false, access: "rwm"))
        #expect(resources.memory?.limit == 64 << 20)
        #expect(resources.memory?.swap == 128 << 20)
        #expect(resources.memory?.disableOOMKiller == false)
        #expect(resources.cpu?.quota == 50_000)
        #expect(resources.cpu?.cpus == "0")
        #expect(resources.pids?.limit == 100)
        #expect(resources.blockIO?.weight == 300)
        let seccomp = try #require(linux.seccomp)
        #expect(seccomp.defaultAction == "SCMP_ACT_ERRNO")
        #expect(seccomp.defaultErrnoRet == 1)
        #expect(seccomp.syscalls?.count == 3)
        #expect(seccomp.syscalls?[2].args == [RuntimeSpec.SyscallArgument(index: 0, value: 2_114_060_288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")])
        #expect(linux.devices == [RuntimeSpec.Device(path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 8630, uid: 0, gid: 0)])
        #expect(linux.maskedPaths == ["/proc/asound", "/proc/kcore"])
        #expect(linux.readonlyPaths == ["/proc/bus", "/proc/sys"])
    }

    @Test func writesWhatItReadsBack() throws {
        var spec = RuntimeSpec.dockerDefaults(root: "/r", args: ["/bin/sh", "-c", "echo \"<hi>\" & exit 3"])
        spec.process?.user = RuntimeSpec.User(uid: 7, gid: 8, additionalGids: [9])
        spec.process?.rlimits = [RuntimeSpec.Rlimit(type: "RLIMIT_CORE", hard: UInt64.max, soft: 0)]
        spec.process?.terminal = true
        spec.process?.oomScoreAdj = -1000
        spec.hostname = "h"
        spec.linux?.sysctl = ["b": "2", "a": "1"]
        spec.linux?.cgroupsPath = "/berth/x"
        spec.linux?.devices = [RuntimeSpec.Device(path: "/dev/full", type: "c", major: 1, minor: 7, fileMode: 0o666)]
        var resources = RuntimeSpec.Resources()
        resources.devices = RuntimeSpec.DeviceRule.alwaysAllowed
        resources.memory = RuntimeSpec.Memory()
        resources.memory?.limit = -1
        resources.pids = RuntimeSpec.Pids(limit: 5)
        spec.linux?.resources = resources
        let bytes = spec.jsonDocument
        #expect(try RuntimeSpec(jsonDocument: bytes) == spec)
        // Valid JSON to another reader too, with the sysctl keys in order.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#""sysctl":{"a":"1","b":"2"}"#))
        #expect(text.contains(#""args":["/bin/sh","-c","echo \"\u003chi\u003e\" \u0026 exit 3"]"#))
        #expect((try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))) != nil)
    }

    @Test func initsConfigurationCarriesItsCgroupAndSeccompProgram() throws {
        let spec = RuntimeSpec.dockerDefaults(root: "/r", args: ["true"])
        let layout = CgroupLayout(v1: [.init(mountPoint: "/sys/fs/cgroup/memory", controllers: ["memory"])], unified: "/sys/fs/cgroup/unified")
        let cgroup = try Cgroup(path: "/berth/abc", layout: layout)
        let config = try InitConfig(spec: spec, startFIFODescriptor: 4, consoleSocketDescriptor: 5, staysAsInit: true, cgroup: cgroup)
        #expect(config.seccompProgram?.isEmpty == false, "the profile compiled")
        #expect(config.spec.linux?.seccomp == nil, "and not sent")
        let read = try InitConfig(jsonDocument: config.jsonDocument)
        #expect(read.spec == config.spec)
        #expect(read.seccompProgram == config.seccompProgram)
        #expect(read.cgroup == cgroup)
        #expect(read.startFIFODescriptor == 4)
        #expect(read.consoleSocketDescriptor == 5)
        #expect(read.staysAsInit)
        #expect(!read.joinsRunningContainer)
    }

    @Test func refusesWhatCannotBeAConfigurationAndSaysWhere() {
        let cases: [(String, String)] = [
            (#"{"process": {"user": {"uid": -1}}}"#, #"number -1 is out of range for UInt32 (after key "uid", offset 29)"#),
            (#"{"mounts": [{"type": "bind"}]}"#, #"missing "destination" (after key "type", offset 28)"#),
            (#"{"root": "rootfs"}"#, #"expected an object, found a string (after key "root", offset 9)"#),
            (#"{"linux": {"namespaces": [{"path": "/proc/1/ns/net"}]}}"#, #"missing "type" (after key "path", offset 52)"#),
            (#"{"process": {"args": ["sh", 1]}}"#, #"expected a string, found a number (after key "args", offset 28)"#),
            (#"{"process": {"terminal": "yes"}}"#, #"expected a bool, found a string (after key "terminal", offset 25)"#),
        ]
        for (text, message) in cases {
            do {
                _ = try RuntimeSpec(jsonDocument: Array(text.utf8))
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.description == message, "for \(text)")
            }
        }
        #expect(throws: JSONError.self, "a cgroup path with .. is refused when read back") {
            _ = try Cgroup(jsonDocument: Array(#"{"path": "/a/../b", "layout": {"v1": []}}"#.utf8))
        }
    }
}
