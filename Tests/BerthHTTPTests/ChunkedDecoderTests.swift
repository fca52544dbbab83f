import Testing
import BerthHTTP

/// Decodes a whole chunked body fed in pieces of `step` bytes; returns the data and leftover count.
private func decode(_ text: String, step: Int = .max) throws -> (data: String, rest: Int) {
    var decoder = ChunkedDecoder()
    let bytes = Array(text.utf8)
    var data: [UInt8] = []
    var offset = 0
    var available = min(step, bytes.count)
    while !decoder.isDone {
        let window = Array(bytes[offset..<available])
        let result = try window.withUnsafeBytes { raw in try decoder.decode(raw) }
        if let range = result.data { data += window[range] }
        offset += result.consumed
        if result.consumed == 0 || offset == available {
            if available == bytes.count && result.consumed == 0 { break }
            available = min(available + step, bytes.count)
        }
    }
    return (String(decoding: data, as: UTF8.self), bytes.count - offset)
}

private func refusal(_ text: String) -> Int? {
    do {
        _ = try decode(text)
        return nil
    } catch let error as HTTPParseError {
        return error.status.code
    } catch {
        return -1
    }
}

@Suite struct ChunkedDecoderTests {
    @Test func decodesChunksExtensionsAndTrailers() throws {
        let body = "5\r\nhello\r\n6;name=value\r\n world\r\nA \r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\nNEXT"
        let whole = try decode(body)
        #expect(whole.data == "hello world0123456789")
        #expect(whole.rest == 4, "stops at the end of the body; the next request is left")
        for step in [1, 2, 3, 7] {
            #expect(try decode(body, step: step).data == "hello world0123456789")
        }
    }

    @Test func refusesBadSizes() {
        #expect(refusal("x\r\nhello\r\n0\r\n\r\n") == 400)
        #expect(refusal("-5\r\nhello\r\n0\r\n\r\n") == 400)
        #expect(refusal("\r\nhello\r\n0\r\n\r\n") == 400)
        #expect(refusal("fffffffffffffffff\r\n") == 400, "overflow")
        #expect(refusal("8000000000000000\r\n") == 400, "overflow past Int.max")
        #expect(refusal("5\nhello\r\n0\r\n\r\n") == 400, "size line without CR")
    }

    @Test func refusesAChunkWithoutItsCRLF() {
        #expect(refusal("5\r\nhelloXX0\r\n\r\n") == 400)
        #expect(refusal("5\r\nhello\rX") == 400)
    }
}
