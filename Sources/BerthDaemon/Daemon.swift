import BerthHTTP
import BerthLogging
import BerthServer
import BerthTransport
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The `berthd` process: parse flags, bind listeners, serve until a signal.
public enum Daemon {
    public static func main(arguments: [String]) async {
        let logger = Logger()
        var hosts: [ListenAddress] = []
        var cors = ""
        var index = 0
        func fail(_ message: String) -> Never {
            FileHandleStderr.write("\(message)\n")
            exit(1)
        }
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            func value() -> String {
                if let eq = argument.firstIndex(of: "=") { return String(argument[argument.index(after: eq)...]) }
                guard index < arguments.count else { fail("flag needs an argument: \(argument)") }
                defer { index += 1 }
                return arguments[index]
            }
            switch argument.split(separator: "=", maxSplits: 1)[0] {
            case "-H", "--host":
                let text = value()
                do { hosts.append(try ListenAddress(parsing: text)) }
                catch { fail("invalid argument \"\(text)\" for \"-H, --host\" flag: \(error)") }
            case "-D", "--debug": LogSink.shared.level = .debug
            case "--api-cors-header": cors = value()
            case "--version", "-v":
                print("Berth version \(BerthVersion.version), API \(BerthVersion.apiVersion)")
                exit(0)
            default:
                fail("Status: unknown flag: \(argument)\nSee 'berthd --help'., Code: 125")
            }
        }
        if hosts.isEmpty { hosts = [.unix(path: getuid() == 0 ? "/var/run/berthd.sock" : defaultUserSocket())] }

        var router = Router()
        SystemRoutes.register(on: &router)
        var middleware: [any Middleware] = [LoggingMiddleware(logger: logger)]
        if !cors.isEmpty { middleware.append(CORSMiddleware(allowOrigin: cors)) }
        middleware += [
            APIVersionMiddleware(minimum: APIVersion(BerthVersion.minimumAPIVersion), maximum: APIVersion(BerthVersion.apiVersion),
                                 serverHeader: BerthVersion.serverHeader),
            ErrorMiddleware(),
        ]
        let service = Service(router: router, middleware: middleware)

        var listeners: [Listener] = []
        for host in hosts {
            do {
                listeners.append(try await Listener.bind(host, logger: logger))
            } catch {
                for listener in listeners { await listener.close() }
                logger.error("failed to load listeners: \(error)")
                LogSink.shared.flush()
                fail("failed to load listeners: \(error)")
            }
        }
        for listener in listeners { logger.info("API listen on \(listener.displayAddress)") }

        let server = Server(listeners: listeners, service: service)
        let serving = Task { try await server.run() }
        signal(SIGPIPE, SIG_IGN)
        let signals = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                logger.info("Processing signal '\(number == SIGINT ? "interrupt" : "terminated")'")
                serving.cancel()
            }
            source.resume()
            return source
        }
        let outcome = await serving.result
        for listener in listeners { await listener.close() }
        signals.forEach { $0.cancel() }
        if case .failure(let error) = outcome, !(error is CancellationError) {
            logger.error("serveapi: \(error)")
            LogSink.shared.flush()
            exit(1)
        }
        logger.info("Daemon shutdown complete")
        LogSink.shared.flush()
    }

    static func defaultUserSocket() -> String {
        guard let runtime = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), !runtime.isEmpty else {
            FileHandleStderr.write("XDG_RUNTIME_DIR is not set: run as root or pass -H unix:///path/to/berthd.sock\n")
            exit(1)
        }
        return runtime + "/berthd.sock"
    }
}

/// Unbuffered writes to standard error for start-up failures, before exiting.
enum FileHandleStderr {
    static func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
}
