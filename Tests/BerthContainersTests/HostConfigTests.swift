import BerthAPI
import BerthCore
import Testing

/// What `POST /containers/create` accepts: every field the CLI sends when a user sets nothing,
/// and a clear refusal of a field berthd does not act on.
struct HostConfigTests {
    /// `HostConfig` as docker CLI 28 sends it for a plain `docker run` (spec §5.1).
    static let cliDefaults = #"""
    {"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default","PortBindings":{},
     "RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,"VolumeDriver":"","VolumesFrom":null,
     "ConsoleSize":[24,80],"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],
     "ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,
     "PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"",
     "CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],
     "BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,
     "CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,
     "DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":null,
     "Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null}
    """#

    private func fields(_ text: String) throws -> [String: JSONValue] {
        guard case .object(let fields) = try JSONValue.parse(Array(text.utf8)) else { throw APIError.invalidParameter("not an object") }
        return fields
    }

    @Test func whatTheCLISendsByDefaultIsAccepted() throws {
        #expect(HostConfig.unsupportedField(in: try fields(Self.cliDefaults)) == nil)
    }

    @Test func aFieldBerthdDoesNotActOnIsNamed() throws {
        let published = Self.cliDefaults.replacingOccurrences(of: #""PortBindings":{}"#,
                                                               with: #""PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]}"#)
        #expect(HostConfig.unsupportedField(in: try fields(published)) == "PortBindings")
        let dns = Self.cliDefaults.replacingOccurrences(of: #""Dns":[]"#, with: #""Dns":["1.1.1.1"]"#)
        #expect(HostConfig.unsupportedField(in: try fields(dns)) == "Dns")
        let pidHost = Self.cliDefaults.replacingOccurrences(of: #""PidMode":"""#, with: #""PidMode":"host""#)
        #expect(HostConfig.unsupportedField(in: try fields(pidHost)) == "PidMode")
    }
}
