import BerthTesting
import Foundation

/// A CA, a server certificate for 127.0.0.1, a client certificate signed by the CA and a rogue
/// self-signed client, made with the `openssl` command for one test.
struct Certificates {
    let directory: String
    var ca: String { directory + "/ca.pem" }
    var serverCert: String { directory + "/server-cert.pem" }
    var serverKey: String { directory + "/server-key.pem" }
    var clientCert: String { directory + "/cert.pem" }
    var clientKey: String { directory + "/key.pem" }
    var rogueCert: String { directory + "/rogue.pem" }
    var rogueKey: String { directory + "/rogue-key.pem" }

    static var openssl: String? { ProcessRunner.find("openssl") }

    static func make() async throws -> Certificates {
        guard let openssl = Self.openssl else { throw CertificateError(description: "the openssl command is not installed") }
        let directory = TestDirectory.path("certs")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
            .write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(toFile: directory + "/client.ext", atomically: true, encoding: .utf8)
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        let steps: [[String]] = [
            ["req", "-x509"] + key + ["-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Berth Test CA"],
            ["req"] + key + ["-keyout", "server-key.pem", "-out", "server.csr", "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
             "-out", "server-cert.pem", "-days", "2", "-extfile", "server.ext"],
            ["req"] + key + ["-keyout", "key.pem", "-out", "client.csr", "-subj", "/CN=client"],
            ["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
             "-out", "cert.pem", "-days", "2", "-extfile", "client.ext"],
            ["req", "-x509"] + key + ["-keyout", "rogue-key.pem", "-out", "rogue.pem", "-days", "2", "-subj", "/CN=rogue"],
        ]
        for step in steps {
            let run = try await ProcessRunner.run(openssl, step, directory: directory)
            guard run.status == 0 else { throw CertificateError(description: "openssl \(step.joined(separator: " ")): \(run.stderr)") }
        }
        return Certificates(directory: directory)
    }
}

struct CertificateError: Error, CustomStringConvertible {
    let description: String
}

/// A TCP port that was free a moment ago (bound to port 0, then released).
func freeTCPPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}
