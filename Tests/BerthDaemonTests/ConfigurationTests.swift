@testable import BerthDaemon
import BerthCore
import BerthLogging
import BerthTransport
import BerthTesting
import Foundation
import Testing

/// A temporary daemon.json with the given text.
func writeConfigFile(_ text: String) throws -> String {
    let path = TestDirectory.path("daemon", suffix: ".json")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

private let rootEnvironment = ["HOME": "/root"]

private func load(_ arguments: [String], isRoot: Bool = true, environment: [String: String] = rootEnvironment) throws -> DaemonConfiguration {
    try ConfigurationLoader.load(arguments: arguments, environment: environment, isRoot: isRoot)
}

private func failure(_ arguments: [String], isRoot: Bool = true, environment: [String: String] = rootEnvironment) -> String? {
    do {
        _ = try ConfigurationLoader.load(arguments: arguments, environment: environment, isRoot: isRoot)
        return nil
    } catch {
        return error.message
    }
}

@Suite struct ConfigurationTests {
    @Test func rootDefaults() throws {
        let configuration = try load([])
        #expect(configuration.hosts == [.unix(path: "/var/run/berthd.sock")])
        #expect(configuration.dataRoot == "/var/lib/berth")
        #expect(configuration.execRoot == "/var/run/berth")
        #expect(configuration.pidfile == "/var/run/berthd.pid")
        #expect(configuration.shutdownTimeout == .seconds(15))
        #expect(configuration.group == "docker")
        #expect(configuration.logLevel == .info)
    }

    @Test func nonRootDefaultsLiveUnderXDGRuntimeDir() throws {
        let configuration = try load([], isRoot: false, environment: ["HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/1000"])
        #expect(configuration.hosts == [.unix(path: "/run/user/1000/berthd.sock")])
        #expect(configuration.execRoot == "/run/user/1000/berth")
        #expect(configuration.pidfile == "/run/user/1000/berthd.pid")
        #expect(configuration.dataRoot == "/home/u/.local/share/berth")
        let missing = failure([], isRoot: false, environment: ["HOME": "/home/u"])
        #expect(missing?.contains("XDG_RUNTIME_DIR is not set") == true)
        #expect(missing?.contains("-H") == true, "says which flag to set")
    }

    @Test func flagForms() throws {
        let configuration = try load(["-H", "unix:///tmp/a.sock", "--host=tcp://127.0.0.1:1234", "-Htcp://127.0.0.1:5",
                                      "--debug=false", "-l", "warn", "--api-cors-header=*", "-p", "/tmp/x.pid",
                                      "--data-root", "/tmp/d", "--exec-root=/tmp/e", "--shutdown-timeout", "3",
                                      "--label", "a=b", "--label=c=d", "-G", "staff", "--tls=false"])
        #expect(configuration.hosts == [.unix(path: "/tmp/a.sock"), .tcp(host: "127.0.0.1", port: 1234), .tcp(host: "127.0.0.1", port: 5)])
        #expect(!configuration.debug)
        #expect(configuration.logLevel == .warn)
        #expect(configuration.apiCorsHeader == "*")
        #expect(configuration.pidfile == "/tmp/x.pid")
        #expect(configuration.dataRoot == "/tmp/d")
        #expect(configuration.execRoot == "/tmp/e")
        #expect(configuration.shutdownTimeout == .seconds(3))
        #expect(configuration.labels == ["a=b", "c=d"])
        #expect(configuration.group == "staff" && configuration.groupExplicit)
        #expect(try load(["-D"]).logLevel == .debug)
        #expect(try load(["--debug"]).debug)
        #expect(try load(["--tlsverify", "--tlscacert", "/c.pem"]).tlsVerify)
        #expect(try load(["--validate"]).validateOnly)
        #expect(try load(["--version"]).showVersion)
    }

    @Test func flagErrorsReadLikeDockerd() {
        #expect(failure(["--nosuchflag"]) == "Status: unknown flag: --nosuchflag\nSee 'berthd --help'., Code: 125")
        #expect(failure(["-H", "bogus://x"])?.contains("invalid argument \"bogus://x\" for \"-H, --host\" flag: Invalid bind address format: bogus://x") == true)
        #expect(failure(["--debug=maybe"])?.contains("invalid argument \"maybe\" for \"-D, --debug\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax") == true)
        #expect(failure(["--shutdown-timeout", "soon"])?.contains("strconv.ParseInt: parsing \"soon\": invalid syntax") == true)
        #expect(failure(["--pidfile"])?.contains("flag needs an argument: --pidfile") == true)
        #expect(failure(["-p"])?.contains("flag needs an argument: 'p' in -p") == true)
        #expect(failure(["extra"])?.contains("accepts no arguments") == true)
        #expect(failure(["-l", "loud"]) == "Unable to parse logging level: loud")
        #expect(failure(["--tlscacert", ""])?.contains("--tlscacert must not be empty") == true)
    }

    @Test func tcpWithoutTLSIsRefusedUnlessTLSIsTurnedOffExplicitly() throws {
        let refused = failure(["-H", "tcp://127.0.0.1:2375"])
        #expect(refused?.contains("refusing to listen on tcp://127.0.0.1:2375 without TLS") == true)
        #expect(refused?.contains("--tls=false") == true, "says how to accept the risk")
        let accepted = try load(["-H", "tcp://127.0.0.1:2375", "--tls=false"])
        #expect(accepted.insecureTCP == [.tcp(host: "127.0.0.1", port: 2375)])
        #expect(accepted.apiWarnings.first?.hasPrefix("WARNING: API is accessible on http://127.0.0.1:2375 without encryption.") == true)
        let file = try writeConfigFile(#"{"hosts": ["tcp://127.0.0.1:2375"], "tls": false}"#)
        #expect(try load(["--config-file", file]).insecureTCP.count == 1, "daemon.json can say it too")
        #expect(try load(["-H", "unix:///tmp/u.sock"]).apiWarnings.isEmpty)
    }

    @Test func tcpDefaultsTo2376UnderTLS() throws {
        #expect(try load(["-H", "tcp://127.0.0.1", "--tlsverify"]).hosts == [.tcp(host: "127.0.0.1", port: 2376)])
        #expect(try load(["-H", "tcp://127.0.0.1", "--tls=false"]).hosts == [.tcp(host: "127.0.0.1", port: 2375)])
        let tlsOnly = try load(["-H", "tcp://127.0.0.1", "--tls"])
        #expect(tlsOnly.tlsEnabled && !tlsOnly.tlsVerify)
    }

    @Test func fileValuesApply() throws {
        let path = try writeConfigFile(#"{"hosts": ["unix:///tmp/f.sock"], "debug": true, "labels": ["x=1"], "shutdown-timeout": 7, "storage-driver": "vfs", "mtu": 1400}"#)
        let configuration = try load(["--config-file", path])
        #expect(configuration.hosts == [.unix(path: "/tmp/f.sock")])
        #expect(configuration.debug)
        #expect(configuration.labels == ["x=1"])
        #expect(configuration.shutdownTimeout == .seconds(7))
        #expect(configuration.configFile == path)
        #expect(configuration.storageDriver == "vfs")
        #expect(configuration.warnings.contains { $0.contains("mtu") }, "a dockerd key Berth ignores is accepted with a warning")
        #expect(failure(["--storage-driver", "aufs"])?.contains("driver not supported: aufs") == true)
    }

    @Test func conflictsListEveryKey() throws {
        let path = try writeConfigFile(#"{"api-cors-header": "*", "debug": true, "hosts": ["unix:///b.sock"]}"#)
        #expect(failure(["--config-file", path, "--api-cors-header", "x", "-D", "-H", "unix:///a.sock"])
            == "unable to configure the Docker daemon with file \(path): the following directives are specified both as a flag and in the configuration file: api-cors-header: (from flag: x, from file: *), debug: (from flag: true, from file: true), hosts: (from flag: [unix:///a.sock], from file: [unix:///b.sock])")
    }

    @Test func unknownKeysWrongTypesAndMissingFiles() throws {
        let unknown = try writeConfigFile(#"{"bogus-key": 1, "debug": true}"#)
        #expect(failure(["--config-file", unknown])
            == "unable to configure the Docker daemon with file \(unknown): the following directives don't match any configuration option: bogus-key")
        let wrongType = try writeConfigFile(#"{"debug": "yes"}"#)
        #expect(failure(["--config-file", wrongType])
            == "unable to configure the Docker daemon with file \(wrongType): json: cannot unmarshal string into Go struct field Config.debug of type bool")
        let wrongElement = try writeConfigFile(#"{"hosts": [5]}"#)
        #expect(failure(["--config-file", wrongElement])?.hasSuffix("json: cannot unmarshal number into Go struct field Config.hosts of type string") == true)
        let notObject = try writeConfigFile("[1]")
        #expect(failure(["--config-file", notObject])?.contains("cannot unmarshal array") == true)
        let broken = try writeConfigFile("{\"debug\": tru")
        #expect(failure(["--config-file", broken])?.hasPrefix("unable to configure the Docker daemon with file \(broken): invalid JSON") == true)
        #expect(failure(["--config-file", "/x.json"]) == "unable to configure the Docker daemon with file /x.json: open /x.json: no such file or directory")
        let badHost = try writeConfigFile(#"{"hosts": ["bogus://x"]}"#)
        #expect(failure(["--config-file", badHost]) == "Invalid bind address format: bogus://x")
    }
}

@Suite struct PidFileTests {
    @Test func refusesALiveProcessAndReplacesAStaleOne() throws {
        let path = TestDirectory.path("pidfile", suffix: ".pid")
        defer { PidFile.remove(at: path) }
        try "1\n".write(toFile: path, atomically: true, encoding: .utf8)  // pid 1 is always alive
        #expect(throws: ConfigurationError("pid file found, ensure berthd is not running or delete \(path)")) {
            try PidFile.create(at: path)
        }
        try "999999999\n".write(toFile: path, atomically: true, encoding: .utf8)
        try PidFile.create(at: path)
        #expect(SmallFile.text(path) == "\(getpid())")
        PidFile.remove(at: path)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
