// berth-bench: an HTTP/1.1 load generator for benchmarking berthd (and dockerd) over unix sockets
// and TCP. It is a tool, not the daemon: it runs its own single-threaded epoll loop on the main
// thread, so it stays cheap and can be pinned to one core with taskset.
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var unixPath: String?
    var host = "127.0.0.1"
    var port: Int?
    var connections = 64
    var seconds = 10.0
    var path = "/_ping"
    var closeMode = false
    var serverPID: Int32?
    var idle: Int?
    var hold: Int?
    var label = ""
    /// Spawn this command and time it from exec to the first 200 on the socket.
    var startup: [String] = []
}

func usage() -> Never {
    print("""
    usage: berth-bench (--unix PATH | --tcp HOST:PORT) [options]
      -c, --connections N   keep-alive connections, one request in flight on each (default 64)
      -d, --duration S      seconds to run (default 10)
      --path P              request target (default /_ping)
      --close               one request per connection, with Connection: close
      --pid PID             the server's pid: report its CPU time per request and its RSS
      --idle K              idle mode: open K keep-alive connections, one request on each, and
                            report the server's RSS growth per connection (needs --pid)
      --hold K              open K connections that never send a byte and keep them until
                            standard input ends (for descriptor-exhaustion tests)
      --label NAME          a name for the result line
      --startup -- CMD ...  run CMD and report the time from its exec to the first 200 answer
    """)
    exit(2)
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst()
    func value() -> String {
        guard let next = arguments.popFirst() else { usage() }
        return next
    }
    while let argument = arguments.popFirst() {
        switch argument {
        case "--unix": options.unixPath = value()
        case "--tcp":
            let text = value()
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { usage() }
            options.host = String(text[..<colon])
            options.port = port
        case "-c", "--connections": options.connections = Int(value()) ?? { usage() }()
        case "-d", "--duration": options.seconds = Double(value()) ?? { usage() }()
        case "--path": options.path = value()
        case "--close": options.closeMode = true
        case "--pid": options.serverPID = Int32(value()) ?? { usage() }()
        case "--idle": options.idle = Int(value()) ?? { usage() }()
        case "--hold": options.hold = Int(value()) ?? { usage() }()
        case "--label": options.label = value()
        case "--startup":
            if arguments.first == "--" { _ = arguments.popFirst() }
            options.startup = Array(arguments)
            arguments = []
        default: usage()
        }
    }
    if options.unixPath == nil && options.port == nil { usage() }
    return options
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A blocking connect, then non-blocking for the loop.
func connectSocket(_ options: Options) -> Int32 {
    if let path = options.unixPath {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        var length = socklen_t(0)
        _ = berth_sockaddr_un(&addr, path, &length)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) } }
        if rc != 0 { close(fd); return -1 }
        _ = berth_set_nonblocking(fd)
        return fd
    }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = in_port_t(UInt16(options.port!).bigEndian)  // checked by parseOptions
    inet_pton(AF_INET, options.host, &sin.sin_addr)
    let rc = withUnsafePointer(to: &sin) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 { close(fd); return -1 }
    _ = berth_set_nodelay(fd)
    _ = berth_set_nonblocking(fd)
    return fd
}

/// The server's CPU time (user + system) in seconds, and its RSS in bytes.
func serverUsage(_ pid: Int32) -> (cpu: Double, rss: Int)? {
    guard let stat = readFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let utime = Double(fields[11]), let stime = Double(fields[12]) else { return nil }
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    var rss = 0
    if let status = readFile("/proc/\(pid)/status"),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
       let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
        rss = kib * 1024
    }
    return ((utime + stime) / ticks, rss)
}

func readFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        bytes += chunk[..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Where a whole response ends in `buffer`, if it is complete (Content-Length or chunked).
/// Byte scans only: the load generator must cost far less per response than the server.
func responseEnd(_ buffer: [UInt8]) -> Int? {
    buffer.withUnsafeBufferPointer { b -> Int? in
        let count = b.count
        guard count >= 4 else { return nil }
        var headEnd = -1
        var i = 0
        while i + 3 < count {
            if b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { headEnd = i + 4; break }
            i += 1
        }
        guard headEnd > 0 else { return nil }
        // Find a header line starting with `name` (case-insensitive) and return where its value starts.
        func field(_ name: [UInt8]) -> Int? {
            var line = 0
            while line < headEnd {
                var end = line
                while end < headEnd && b[end] != 10 { end += 1 }
                if end - line > name.count {
                    var same = true
                    for k in 0..<name.count where b[line + k] | 0x20 != name[k] { same = false; break }
                    if same { return line + name.count }
                }
                line = end + 1
            }
            return nil
        }
        if var v = field(contentLength) {
            while v < headEnd && b[v] == 32 { v += 1 }
            var length = 0
            while v < headEnd && b[v] >= 48 && b[v] <= 57 { length = length * 10 + Int(b[v] - 48); v += 1 }
            return count >= headEnd + length ? headEnd + length : nil
        }
        guard field(transferEncoding) != nil else { return headEnd }
        // Chunked (rare here): the response ends at the last chunk.
        guard count >= headEnd + 5 else { return nil }
        for j in headEnd...(count - 5)
        where b[j] == 48 && b[j + 1] == 13 && b[j + 2] == 10 && b[j + 3] == 13 && b[j + 4] == 10 && (j == headEnd || b[j - 1] == 10) {
            return j + 5
        }
        return nil
    }
}
private let contentLength = Array("content-length:".utf8)
private let transferEncoding = Array("transfer-encoding: chunked".utf8)

struct Result {
    var latencies: [Double] = []
    var errors = 0
    var elapsed = 0.0
}

func runLoad(_ options: Options) -> Result {
    let request = Array("GET \(options.path) HTTP/1.1\r\nHost: bench\r\nUser-Agent: berth-bench\r\n\(options.closeMode ? "Connection: close\r\n" : "")\r\n".utf8)
    let epfd = berth_epoll_create()
    // Per-connection state, indexed by descriptor.
    var buffers: [[UInt8]] = []
    var sentAt: [Double] = []
    var open: [Bool] = []
    var openCount = 0
    var result = Result()
    result.latencies.reserveCapacity(1 << 20)
    func start() {
        let fd = connectSocket(options)
        guard fd >= 0 else { result.errors += 1; return }
        _ = berth_epoll_add(epfd, fd)
        if Int(fd) >= open.count {
            let grow = Int(fd) + 1 - open.count
            buffers += Array(repeating: [], count: grow)
            sentAt += Array(repeating: 0, count: grow)
            open += Array(repeating: false, count: grow)
        }
        open[Int(fd)] = true
        openCount += 1
        buffers[Int(fd)].removeAll(keepingCapacity: true)
        send(fd)
    }
    func send(_ fd: Int32) {
        sentAt[Int(fd)] = now()
        let n = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n != request.count { result.errors += 1 }
    }
    func finish(_ fd: Int32) {
        _ = berth_epoll_del(epfd, fd)
        close(fd)
        open[Int(fd)] = false
        openCount -= 1
    }
    let begin = now()
    let deadline = begin + options.seconds
    for _ in 0..<options.connections { start() }
    var fds = [Int32](repeating: 0, count: 256)
    var events = [UInt32](repeating: 0, count: 256)
    var chunk = [UInt8](repeating: 0, count: 65536)
    while openCount > 0 {
        if now() > deadline + 10 {  // a server that stopped answering: count what is left as errors
            result.errors += openCount
            break
        }
        let n = berth_epoll_wait(epfd, &fds, &events, 256, 1000)
        if n < 0 { if errno == EINTR { continue }; break }
        for i in 0..<Int(n) {
            let fd = fds[i]
            let slot = Int(fd)
            guard slot < open.count, open[slot] else { continue }
            var closed = false
            let hungUp = events[i] & UInt32(BERTH_EV_HUP | BERTH_EV_ERROR) != 0
            while true {
                let r = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if r > 0 {
                    buffers[slot] += chunk[..<r]
                    // A short read emptied the socket, and new bytes bring a new edge; after a
                    // hang-up no edge will come, so read on to the end of stream.
                    if r < chunk.count && !hungUp { break }
                    continue
                }
                if r == 0 { closed = true }
                break
            }
            if let end = responseEnd(buffers[slot]) {
                let t = now()
                result.latencies.append(t - sentAt[slot])
                buffers[slot].removeFirst(end)
                if options.closeMode {
                    finish(fd)
                    if t < deadline { start() }
                    continue
                }
                if t < deadline { send(fd) } else { finish(fd) }
                continue
            }
            if closed {
                result.errors += 1
                finish(fd)
                if now() < deadline { start() }
            }
        }
    }
    result.elapsed = now() - begin
    close(epfd)
    return result
}

/// `value` with `digits` decimals.
func fixed(_ digits: Int, _ value: Double) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if text.contains("e") { return text }
    if digits == 0 { return String(Int(rounded)) }
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    let decimals = parts.count > 1 ? String(parts[1]) : ""
    text = String(parts[0]) + "." + String((decimals + String(repeating: "0", count: digits)).prefix(digits))
    return text
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func runIdle(_ options: Options, count: Int) {
    guard let pid = options.serverPID else { print("--idle needs --pid"); exit(2) }
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    let request = Array("GET \(options.path) HTTP/1.1\r\nHost: bench\r\n\r\n".utf8)
    func oneRequest(_ fd: Int32) -> Bool {
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while responseEnd(buffer) == nil {
            guard poll(&pfd, 1, 5000) > 0 else { return false }
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            buffer += chunk[..<n]
        }
        return true
    }
    // Warm up so the baseline includes what the first connections allocate once.
    var warm: [Int32] = []
    for _ in 0..<100 { let fd = connectSocket(options); if fd >= 0, oneRequest(fd) { warm.append(fd) } }
    usleep(300_000)
    let before = serverUsage(pid)?.rss ?? 0
    var open: [Int32] = []
    var failures = 0
    for _ in 0..<count {
        let fd = connectSocket(options)
        if fd >= 0, oneRequest(fd) { open.append(fd) } else { failures += 1; if fd >= 0 { close(fd) } }
    }
    usleep(500_000)
    let after = serverUsage(pid)?.rss ?? 0
    let perConnection = open.isEmpty ? 0 : Double(after - before) / Double(open.count)
    print("\(options.label.isEmpty ? "idle" : options.label): \(open.count) idle keep-alive connections (\(failures) failed); server RSS \(before / 1024) KiB -> \(after / 1024) KiB; \(fixed(2, perConnection / 1024)) KiB per connection")
    for fd in open + warm { close(fd) }
}

/// Opens `count` connections that never send a byte (a blocking connect each, so a full backlog
/// waits rather than fails), says how many on standard output, and keeps them until standard
/// input ends.
func runHold(_ options: Options, count: Int) {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    var held: [Int32] = []
    for _ in 0..<count {
        let fd = connectSocket(options)
        if fd >= 0 { held.append(fd) }
    }
    print("held \(held.count)")
    fflush(nil)  // every stream: naming stdout is not concurrency-safe in Swift 6
    var byte: UInt8 = 0
    while read(0, &byte, 1) > 0 {}
    for fd in held { close(fd) }
}

/// Spawns the server and polls (every 0.2 ms) until `/_ping` answers 200; prints the time.
func runStartup(_ options: Options) {
    var pid: pid_t = 0
    var argv: [UnsafeMutablePointer<CChar>?] = options.startup.map { strdup($0) } + [nil]
    let start = now()
    guard posix_spawn(&pid, options.startup[0], nil, nil, &argv, environ) == 0 else {
        print("cannot run \(options.startup[0])")
        exit(1)
    }
    let request = Array("GET \(options.path) HTTP/1.1\r\nHost: bench\r\n\r\n".utf8)
    var answered = false
    while now() - start < 10 && !answered {
        let fd = connectSocket(options)
        if fd >= 0 {
            _ = berth_set_nonblocking(fd)
            var flags = fcntl(fd, F_GETFL)
            flags &= ~O_NONBLOCK
            _ = fcntl(fd, F_SETFL, flags)
            _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            var chunk = [UInt8](repeating: 0, count: 512)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            answered = n > 12 && String(decoding: chunk[..<n], as: UTF8.self).hasPrefix("HTTP/1.1 200")
            close(fd)
        }
        if !answered { usleep(200) }
    }
    let elapsed = now() - start
    print("\(options.label.isEmpty ? "startup" : options.label): exec to first 200 in \(answered ? fixed(1, elapsed * 1000) + " ms" : "(no answer in 10 s)")")
    kill(pid, SIGTERM)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
}

let options = parseOptions()
signal(SIGPIPE, SIG_IGN)
if !options.startup.isEmpty {
    runStartup(options)
    exit(0)
}
if let idle = options.idle {
    runIdle(options, count: idle)
    exit(0)
}
if let hold = options.hold {
    runHold(options, count: hold)
    exit(0)
}
let usageBefore = options.serverPID.flatMap(serverUsage)
let result = runLoad(options)
let usageAfter = options.serverPID.flatMap(serverUsage)
let sorted = result.latencies.sorted()
let requests = sorted.count
func ms(_ seconds: Double) -> String { fixed(3, seconds * 1000) }
let name = options.label.isEmpty ? "result" : options.label
let rate = fixed(0, Double(requests) / result.elapsed)
var line = "\(name): \(requests) requests in \(fixed(2, result.elapsed)) s = \(rate) req/s"
line += "; latency ms p50 \(ms(percentile(sorted, 0.5))) p90 \(ms(percentile(sorted, 0.9))) p99 \(ms(percentile(sorted, 0.99))) max \(ms(sorted.last ?? 0))"
line += "; errors \(result.errors)"
if let before = usageBefore, let after = usageAfter, requests > 0 {
    line += "; server CPU \(fixed(2, (after.cpu - before.cpu) / Double(requests) * 1e6)) us/request; server RSS \(after.rss / 1024) KiB"
}
print(line)
