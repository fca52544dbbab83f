// libFuzzer entry point for the HTTP/1.1 request-head parser and the chunked decoder.
// Built by Tests/Fuzz/run.sh together with the BerthHTTP sources; not part of the package build.

/// Parses `bytes` fed in two pieces split at `cut`; returns the outcome as text (heads or error).
func outcome(_ bytes: [UInt8], cut: Int) -> String {
    var parser = RequestHeadParser()
    var offset = 0
    var result = ""
    var available = min(cut, bytes.count)
    var rounds = 0
    while offset < bytes.count && rounds < 10_000 {
        rounds += 1
        let window = Array(bytes[offset..<available])
        do {
            switch try window.withUnsafeBytes({ try parser.parse($0) }) {
            case .complete(let head, let consumed):
                precondition(consumed > 0 && consumed <= window.count, "consumed \(consumed) of \(window.count)")
                result += "head \(head.method) \(head.target) \(head.version) \(head.headers.count) \(head.framing);"
                offset += consumed
                if case .chunked = head.framing {
                    var decoder = ChunkedDecoder()
                    var body: [UInt8] = []
                    var guardRounds = 0
                    while offset < bytes.count && !decoder.isDone && guardRounds < 100_000 {
                        guardRounds += 1
                        let rest = Array(bytes[offset...])
                        let step = try rest.withUnsafeBytes { try decoder.decode($0) }
                        precondition(step.consumed <= rest.count)
                        if let data = step.data {
                            precondition(data.lowerBound >= 0 && data.upperBound <= rest.count)
                            body += rest[data]
                        }
                        if step.consumed == 0 { break }
                        offset += step.consumed
                    }
                    result += "body \(body.count) \(decoder.isDone);"
                    if !decoder.isDone { return result }
                } else if case .length(let n) = head.framing {
                    offset = min(bytes.count, offset + n)
                }
                available = bytes.count
            case .needMore:
                if available == bytes.count { return result + "needMore" }
                available = bytes.count
            }
        } catch let error as HTTPParseError {
            return result + "error \(error.status.code)"
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }
    return result
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = outcome(bytes, cut: bytes.count)
    // Incremental parsing must reach the same verdict as parsing everything at once.
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    let split = outcome(bytes, cut: cut)
    precondition(whole == split, "whole: \(whole)\nsplit at \(cut): \(split)")
    return 0
}
