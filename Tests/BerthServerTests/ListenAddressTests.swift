import BerthTransport
import Testing

@Suite struct ListenAddressTests {
    @Test func parsesDockerdHostForms() throws {
        #expect(try ListenAddress(parsing: "tcp://127.0.0.1:2376") == .tcp(host: "127.0.0.1", port: 2376))
        #expect(try ListenAddress(parsing: "tcp://127.0.0.1") == .tcp(host: "127.0.0.1", port: 2375))
        #expect(try ListenAddress(parsing: "tcp://:8080") == .tcp(host: "localhost", port: 8080))
        #expect(try ListenAddress(parsing: "tcp://[::1]:2375") == .tcp(host: "::1", port: 2375))
        #expect(try ListenAddress(parsing: "tcp://[::]") == .tcp(host: "::", port: 2375))
        #expect(try ListenAddress(parsing: "127.0.0.1:9") == .tcp(host: "127.0.0.1", port: 9))
        #expect(try ListenAddress(parsing: "unix:///var/run/berthd.sock") == .unix(path: "/var/run/berthd.sock"))
        #expect(try ListenAddress(parsing: "fd://") == .fd(nil))
        #expect(try ListenAddress(parsing: "fd://3") == .fd(3))
    }

    @Test(arguments: ["bogus://x", "tcp://host:port", "tcp://h:99999", "tcp://h:1/path", "unix://relative", "", "fd://x", "tcp://[::1"])
    func refusesMalformedAddressesWithDockerdsText(_ text: String) {
        #expect(throws: ListenAddressError(text: text)) { try ListenAddress(parsing: text) }
        #expect(ListenAddressError(text: text).description == "Invalid bind address format: \(text)")
    }
}
