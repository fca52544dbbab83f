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
        case bootstrap = 1, pid = 2, error = 3, config = 4, ready = 5, start = 6, console = 7
    }

    struct Message {
        let kind: Kind
        let payload: [UInt8]
        /// A descriptor that came with the message (the receiver owns it), or nil.
        var descriptor: Int32?
    }

    /// Sends a message, with `descriptor` attached (SCM_RIGHTS) if given.
    func send(_ kind: Kind, _ payload: [UInt8] = [], descriptor: Int32? = nil) throws(RuntimeError) {
        let head = [kind.rawValue, UInt32(payload.count)]
        let bytes = head.withUnsafeBytes { Array($0) } + payload
        var offset = 0
        while offset < bytes.count {
            // The descriptor travels with the first bytes.
            let attached = offset == 0 ? (descriptor ?? -1) : -1
            let n = bytes[offset...].withUnsafeBytes { berth_send_with_fd(fd, $0.baseAddress, $0.count, attached) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw RuntimeError.system("write to the init process", errno) }
            offset += n
        }
    }

    /// The next message, or nil when the other end has closed (for the creator: init execed).
    func receive() throws(RuntimeError) -> Message? {
        var head = [UInt32](repeating: 0, count: 2)
        var descriptor: Int32 = -1
        // The head's first bytes are read with recvmsg, which collects an attached descriptor.
        let first = head.withUnsafeMutableBytes { berth_recv_with_fd(fd, $0.baseAddress, $0.count, &descriptor) }
        if first < 0 { throw RuntimeError.system("read from the init process", errno) }
        if first == 0 { return nil }
        let gotHead = try head.withUnsafeMutableBytes {
            readExactly(UnsafeMutableRawBufferPointer(rebasing: $0[first...]))
        }.get()
        guard gotHead else { throw RuntimeError.protocolViolation("the init process closed mid-message") }
        guard let kind = Kind(rawValue: head[0]), head[1] <= 16 << 20 else {
            throw RuntimeError.protocolViolation("an unknown message from the init process (\(head[0]), \(head[1]) bytes)")
        }
        var payload = [UInt8](repeating: 0, count: Int(head[1]))
        let gotPayload = try payload.withUnsafeMutableBytes { readExactly($0) }.get()
        guard gotPayload || payload.isEmpty else { throw RuntimeError.protocolViolation("the init process closed mid-message") }
        return Message(kind: kind, payload: payload, descriptor: descriptor >= 0 ? descriptor : nil)
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
