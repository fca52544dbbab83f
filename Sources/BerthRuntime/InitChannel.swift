import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// One end of the socket between a container's creator and its init process, with blocking
/// reads and writes of framed messages (`BERTH_MSG_*`: two 32-bit words, type and length, then
/// the payload). The creator uses it from a thread of its own, never from the cooperative pool;
/// init is single-threaded and synchronous.
struct InitChannel {
    let fd: Int32

    enum Kind: UInt32 {
        case bootstrap = 1, pid = 2, error = 3, config = 4, ready = 5, start = 6
    }

    struct Message {
        let kind: Kind
        let payload: [UInt8]
    }

    func send(_ kind: Kind, _ payload: [UInt8] = []) throws(RuntimeError) {
        let head = [kind.rawValue, UInt32(payload.count)]
        let bytes = head.withUnsafeBytes { Array($0) } + payload
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw RuntimeError.system("write to the init process", errno) }
            offset += n
        }
    }

    /// The next message, or nil when the other end has closed (for the creator: init execed).
    func receive() throws(RuntimeError) -> Message? {
        var head = [UInt32](repeating: 0, count: 2)
        let gotHead = try head.withUnsafeMutableBytes { readExactly($0) }.get()
        guard gotHead else { return nil }
        guard let kind = Kind(rawValue: head[0]), head[1] <= 16 << 20 else {
            throw RuntimeError.protocolViolation("an unknown message from the init process (\(head[0]), \(head[1]) bytes)")
        }
        var payload = [UInt8](repeating: 0, count: Int(head[1]))
        let gotPayload = try payload.withUnsafeMutableBytes { readExactly($0) }.get()
        guard gotPayload || payload.isEmpty else { throw RuntimeError.protocolViolation("the init process closed mid-message") }
        return Message(kind: kind, payload: payload)
    }

    /// Fills `buffer`; false if the stream ended before the first byte.
    private func readExactly(_ buffer: UnsafeMutableRawBufferPointer) -> Result<Bool, RuntimeError> {
        var done = 0
        while done < buffer.count {
            let n = read(fd, buffer.baseAddress! + done, buffer.count - done)  // done < count: not empty
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return .failure(RuntimeError.system("read from the init process", errno)) }
            if n == 0 {
                if done == 0 { return .success(false) }
                return .failure(RuntimeError.protocolViolation("the init process closed mid-message"))
            }
            done += n
        }
        return .success(true)
    }
}
