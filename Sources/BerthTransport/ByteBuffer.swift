/// A growable byte buffer with a read cursor: bytes are appended at the writer index and consumed
/// from the reader index. Storage is reused; when idle it can be dropped to save memory.
public struct ByteBuffer: Sendable {
    private var storage: [UInt8] = []
    public private(set) var readerIndex = 0
    public private(set) var writerIndex = 0

    public init() {}

    public init(_ bytes: some Sequence<UInt8>) {
        storage = Array(bytes)
        writerIndex = storage.count
    }

    public var readableCount: Int { writerIndex - readerIndex }
    public var isEmpty: Bool { readerIndex == writerIndex }
    public var capacity: Int { storage.count }

    /// Makes room for at least `count` more bytes, compacting before growing.
    public mutating func reserveWritable(_ count: Int) {
        if storage.count - writerIndex >= count { return }
        if readerIndex > 0 {
            let live = readableCount
            if live > 0 {
                storage.withUnsafeMutableBytes { raw in
                    // Both ranges lie inside the buffer; memmove handles the overlap.
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + readerIndex, live)
                }
            }
            readerIndex = 0
            writerIndex = live
            if storage.count - writerIndex >= count { return }
        }
        var newCapacity = Swift.max(storage.count, 1024)
        while newCapacity - writerIndex < count { newCapacity *= 2 }
        storage.append(contentsOf: repeatElement(0, count: newCapacity - storage.count))
    }

    /// Gives `body` the writable tail; it returns how many bytes it wrote.
    public mutating func writeWithUnsafeMutableBytes(_ body: (UnsafeMutableRawBufferPointer) throws -> Int) rethrows -> Int {
        let start = writerIndex
        let written = try storage.withUnsafeMutableBytes { raw in
            try body(UnsafeMutableRawBufferPointer(rebasing: raw[start...]))
        }
        if written > 0 { writerIndex += written }
        return written
    }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        reserveWritable(bytes.count)
        storage.replaceSubrange(writerIndex..<(writerIndex + bytes.count), with: bytes)
        writerIndex += bytes.count
    }

    public func withUnsafeReadableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes { raw in try body(UnsafeRawBufferPointer(rebasing: raw[readerIndex..<writerIndex])) }
    }

    /// The readable bytes, copied.
    public var readableBytes: [UInt8] { Array(storage[readerIndex..<writerIndex]) }

    public mutating func consume(_ count: Int) {
        precondition(count <= readableCount, "consuming more than is readable")
        readerIndex += count
        if readerIndex == writerIndex { readerIndex = 0; writerIndex = 0 }
    }

    /// Removes and returns up to `count` readable bytes.
    public mutating func read(upTo count: Int) -> [UInt8] {
        let n = Swift.min(count, readableCount)
        let bytes = Array(storage[readerIndex..<(readerIndex + n)])
        consume(n)
        return bytes
    }

    /// Frees the storage when nothing is buffered (an idle connection keeps no buffer).
    public mutating func releaseIfEmpty() {
        if isEmpty { storage = []; readerIndex = 0; writerIndex = 0 }
    }
}

#if canImport(Glibc)
import Glibc
#endif
