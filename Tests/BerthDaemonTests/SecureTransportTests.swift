import BerthTesting
import Foundation
import Testing

/// TLS and mutual TLS against a real `berthd`, with certificates made at test time.
@Suite(.enabled(if: ChildDaemon.available && Certificates.openssl != nil, "needs the berthd binary and the openssl command"))
struct TLSTests {
    private func tlsDaemon(_ certificates: Certificates, port: Int, verify: Bool = true) async throws -> ChildDaemon {
        let unix = TestDirectory.path("tls", suffix: ".sock")
        return try await ChildDaemon(
            arguments: [verify ? "--tlsverify" : "--tls", "--tlscacert", certificates.ca, "--tlscert", certificates.serverCert,
                        "--tlskey", certificates.serverKey],
            hosts: ["tcp://127.0.0.1:\(port)", "unix://\(unix)"], waitFor: unix)
    }

    @Test(.enabled(if: ProcessRunner.dockerCLI != nil, "the docker CLI is not installed"))
    func dockerCLIWorksWithMutualTLS() async throws {
        let certificates = try await Certificates.make()
        let port = try freeTCPPort()
        let daemon = try await tlsDaemon(certificates, port: port)
        defer { daemon.stopSoon() }
        let docker = try #require(ProcessRunner.dockerCLI)
        let run = try await ProcessRunner.run(docker, [
            "--tlsverify", "--tlscacert", certificates.ca, "--tlscert", certificates.clientCert, "--tlskey", certificates.clientKey,
            "-H", "tcp://127.0.0.1:\(port)", "version",
        ], environment: ["DOCKER_CONFIG": TestDirectory.root + "/docker-config"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Server: Berth"))
    }

    @Test(.enabled(if: ProcessRunner.find("curl") != nil, "curl is not installed"))
    func clientsWithoutAValidCertificateAreRefused() async throws {
        let certificates = try await Certificates.make()
        let port = try freeTCPPort()
        let daemon = try await tlsDaemon(certificates, port: port)
        defer { daemon.stopSoon() }
        let curl = try #require(ProcessRunner.find("curl"))
        let url = "https://127.0.0.1:\(port)/_ping"
        let good = try await ProcessRunner.run(curl, ["-sv", "--cacert", certificates.ca, "--cert", certificates.clientCert,
                                                      "--key", certificates.clientKey, url])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout == "OK")
        #expect(good.stderr.contains("ALPN: server accepted http/1.1") || good.stderr.contains("ALPN, server accepted to use http/1.1"))
        let none = try await ProcessRunner.run(curl, ["-s", "--cacert", certificates.ca, url])
        #expect(none.status != 0, "no client certificate")
        #expect(none.stdout.isEmpty)
        let rogue = try await ProcessRunner.run(curl, ["-s", "--cacert", certificates.ca, "--cert", certificates.rogueCert,
                                                       "--key", certificates.rogueKey, url])
        #expect(rogue.status != 0, "a certificate the CA did not sign")
        #expect(rogue.stdout.isEmpty)
    }

    @Test func tls11IsRefusedAndTls12Accepted() async throws {
        let certificates = try await Certificates.make()
        let port = try freeTCPPort()
        let daemon = try await tlsDaemon(certificates, port: port)
        defer { daemon.stopSoon() }
        let openssl = try #require(Certificates.openssl)
        func handshake(_ version: String) async throws -> ProcessRunner.Outcome {
            try await ProcessRunner.run(openssl, ["s_client", "-connect", "127.0.0.1:\(port)", version, "-cipher", "DEFAULT@SECLEVEL=0",
                                                  "-cert", certificates.clientCert, "-key", certificates.clientKey, "-CAfile", certificates.ca])
        }
        let old = try await handshake("-tls1_1")
        #expect(old.status != 0)
        #expect(old.stderr.contains("alert protocol version"), "the server refuses TLS 1.1 with a protocol_version alert")
        let current = try await handshake("-tls1_2")
        #expect(current.stdout.contains("Protocol  : TLSv1.2") || current.stdout.contains("Protocol: TLSv1.2"), "\(current.stdout)")
    }

    @Test func plainHTTPToTheTLSPortGetsDockerds400() async throws {
        let certificates = try await Certificates.make()
        let port = try freeTCPPort()
        let daemon = try await tlsDaemon(certificates, port: port)
        defer { daemon.stopSoon() }
        let client = try await TestClient.connect(port: port)
        try await client.send(TestClient.encode("GET", "/_ping"))
        let reply = String(decoding: try await client.readToEnd(), as: UTF8.self)
        #expect(reply == "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
    }

    @Test func plainTCPOnRequestIsServedWithDockerdsWarnings() async throws {
        let port = try freeTCPPort()
        let unix = TestDirectory.path("plain", suffix: ".sock")
        let daemon = try await ChildDaemon(arguments: ["--tls=false"], hosts: ["unix://\(unix)", "tcp://127.0.0.1:\(port)"], waitFor: unix)
        defer { daemon.stopSoon() }
        // The unix socket is bound first; wait (bounded) for the TCP listener too.
        var tcpClient: TestClient?
        for _ in 0..<500 where tcpClient == nil {
            tcpClient = try? await TestClient.connect(port: port)
            if tcpClient == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(try await #require(tcpClient).request("GET", "/_ping").bodyText == "OK")
        let info = try #require(try await TestClient.connect(unixPath: unix).request("GET", "/info").jsonObject)
        let warnings = try #require(info["Warnings"] as? [String])
        #expect(warnings.first?.hasPrefix("WARNING: API is accessible on http://127.0.0.1:\(port) without encryption.") == true)
        #expect(daemon.log.contains("Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network."))
        #expect(daemon.log.contains("Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!"))
    }

    @Test func missingFilesStopTheStartWithDockerdsTexts() async throws {
        let certificates = try await Certificates.make()
        let binary = try #require(ChildDaemon.binary)
        let directory = TestDirectory.path("tlsfail")
        let common = ["-H", "tcp://127.0.0.1:\(try freeTCPPort())", "--pidfile", directory + "/p.pid", "--data-root", directory + "/d",
                      "--exec-root", directory + "/e", "--config-file", "/dev/null", "--tlsverify"]
        let noCA = try await ProcessRunner.run(binary, common + ["--tlscacert", directory + "/nope.pem",
                                                                 "--tlscert", certificates.serverCert, "--tlskey", certificates.serverKey])
        #expect(noCA.status == 1)
        #expect(noCA.stderr.contains("failed to create API server: could not read CA certificate \"\(directory)/nope.pem\""))
        let noCert = try await ProcessRunner.run(binary, common + ["--tlscacert", certificates.ca,
                                                                   "--tlscert", directory + "/nocert.pem", "--tlskey", certificates.serverKey])
        #expect(noCert.status == 1)
        #expect(noCert.stderr.contains("failed to create API server: Could not load X509 key pair (cert: \"\(directory)/nocert.pem\", key: \"\(certificates.serverKey)\")"))
        let empty = try await ProcessRunner.run(binary, common + ["--tlscacert", ""])
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("--tlscacert must not be empty"))
        let plainTCP = try await ProcessRunner.run(binary, Array(common.dropLast()))
        #expect(plainTCP.status == 1)
        #expect(plainTCP.stderr.contains("without TLS"))
    }
}

/// systemd-socket-activate passes no environment unless told: pass the sanitizer option on.
private let activationEnvironment = underAddressSanitizer ? ["-E", "ASAN_OPTIONS=detect_leaks=0"] : []

/// systemd socket activation and notification, and unix socket ownership.
@Suite(.enabled(if: ChildDaemon.available, "needs the berthd binary"))
struct SystemdTests {
    @Test(.enabled(if: ProcessRunner.find("systemd-socket-activate") != nil, "systemd-socket-activate is not installed"))
    func servesSocketsPassedBySystemd() async throws {
        let launcher = try #require(ProcessRunner.find("systemd-socket-activate"))
        for host in ["fd://", "fd://3"] {
            let path = TestDirectory.path("act", suffix: ".sock")
            let daemon = try await ChildDaemon(hosts: [host], launcher: [launcher, "-l", path] + activationEnvironment, waitFor: path)
            var before = stat()
            #expect(lstat(path, &before) == 0)
            // The daemon starts on the first connection; the client waits in the backlog meanwhile.
            var client: TestClient?
            for _ in 0..<200 where client == nil {  // the launcher listens just after creating the file
                client = try? await TestClient.connect(unixPath: path)
                if client == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            let response = try await #require(client).request("GET", "/_ping")
            #expect(response.bodyText == "OK", "\(host)")
            var after = stat()
            #expect(lstat(path, &after) == 0)
            #expect(after.st_mode == before.st_mode && after.st_gid == before.st_gid, "the activated socket keeps its mode and owner")
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)
            #expect(fileExists(path), "an activated socket is not removed at exit")
            unlink(path)
            await daemon.stop()
        }
    }

    @Test(.enabled(if: ProcessRunner.find("systemd-socket-activate") != nil, "systemd-socket-activate is not installed"))
    func fdNThatWasNotPassedIsAnError() async throws {
        let launcher = try #require(ProcessRunner.find("systemd-socket-activate"))
        let path = TestDirectory.path("act", suffix: ".sock")
        defer { unlink(path) }
        let daemon = try await ChildDaemon(hosts: ["fd://7"], launcher: [launcher, "-l", path] + activationEnvironment, waitFor: path)
        defer { daemon.stopSoon() }
        // The launcher creates the file just before it listens: retry the connect (bounded).
        for _ in 0..<200 {
            if let client = try? await TestClient.connect(unixPath: path) {
                try? await client.send("GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n")
                break
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let status = try await daemon.waitForExit()
        #expect(status == 1, "\(daemon.log)")
        #expect(daemon.log.contains("descriptor 7 was not passed by socket activation"))
    }

    @Test func fdWithoutActivationFailsWithDockerdsText() async throws {
        let binary = try #require(ChildDaemon.binary)
        let directory = TestDirectory.path("noact")
        let run = try await ProcessRunner.run(binary, ["-H", "fd://", "--pidfile", directory + "/p.pid", "--data-root", directory + "/d",
                                                       "--exec-root", directory + "/e", "--config-file", "/dev/null"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("failed to load listeners: no sockets found via socket activation: make sure the service was started by systemd"))
    }

    @Test(arguments: [false, true])
    func notifiesReadyAndStopping(abstract: Bool) async throws {
        let name = "berth-notify-\(UUID().uuidString.prefix(8))"
        let path = abstract ? "@" + name : NSTemporaryDirectory() + name
        let receiver = try NotifyReceiver(path: path)
        defer { receiver.close() }
        let daemon = try await ChildDaemon(environment: ["NOTIFY_SOCKET": path])
        defer { daemon.stopSoon() }
        #expect(try await receiver.next() == "READY=1")
        daemon.signal(SIGTERM)
        #expect(try await receiver.next() == "STOPPING=1")
        let status = try await daemon.waitForExit()
        #expect(status == 0, "\(daemon.log)")
    }

    @Test func socketIsMode0660WithTheGroupAsked() async throws {
        let group = try #require(getgrgid(1)).pointee  // gid 1 exists on Debian ("daemon")
        let name = String(cString: group.gr_name)
        let daemon = try await ChildDaemon(arguments: ["-G", name])
        defer { daemon.stopSoon() }
        // The file appears at bind(2); mode and group are set before listen(2): once a client
        // can connect, they are final.
        try await daemon.client().close()
        var info = stat()
        #expect(lstat(daemon.socketPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(info.st_gid == 1)
    }

    @Test func anExplicitGroupThatDoesNotExistIsFatal() async throws {
        let binary = try #require(ChildDaemon.binary)
        let directory = TestDirectory.path("nogroup")
        let run = try await ProcessRunner.run(binary, ["-H", "unix://\(directory)/s.sock", "-G", "nosuchgroup", "--pidfile", directory + "/p.pid",
                                                       "--data-root", directory + "/d", "--exec-root", directory + "/e", "--config-file", "/dev/null"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("failed to load listeners: group nosuchgroup not found"))
    }

    @Test func aMissingDefaultGroupLeavesTheSocketRootOwnedWithAWarning() async throws {
        let daemon = try await ChildDaemon()
        defer { daemon.stopSoon() }
        try await daemon.client().close()  // mode and group are final once clients can connect
        var info = stat()
        #expect(lstat(daemon.socketPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)
        if let docker = getgrnam("docker") {
            #expect(info.st_gid == docker.pointee.gr_gid)
        } else {
            #expect(info.st_gid == 0)
            #expect(daemon.log.contains("could not change group \(daemon.socketPath) to docker: group docker not found"))
        }
    }
}

/// A datagram socket standing in for systemd's notification socket.
final class NotifyReceiver: Sendable {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            if bytes.first == UInt8(ascii: "@") { raw[0] = 0 }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == UInt8(ascii: "@") ? 0 : 1))
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard rc == 0 else { throw CertificateError(description: "bind \(path): \(errno)") }
    }

    /// The next datagram, waiting (bounded) for it.
    func next() async throws -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        for _ in 0..<1000 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { return String(decoding: buffer[..<n], as: UTF8.self) }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func close() {
        Glibc.close(fd)
        if !path.hasPrefix("@") { unlink(path) }
    }
}
