// libFuzzer entry point for BerthCore's JSONReader (and JSONWriter): any input is read as a
// JSONValue or refused with a JSONError, never a crash; what is read, written back, reads back
// the same. Built by `Tests/Fuzz/run.sh SECONDS json` with the JSON sources of BerthCore; not part
// of the package build.

extension JSONValue {
    func write(to writer: inout JSONWriter) {
        switch self {
        case .null: writer.null()
        case .bool(let value): writer.bool(value)
        case .number(let value): writer.raw(Array("\(value)".utf8))
        case .string(let value): writer.string(value)
        case .array(let elements):
            writer.beginArray()
            for element in elements { element.write(to: &writer) }
            writer.endArray()
        case .object(let members):
            writer.beginObject()
            for (key, value) in members {
                writer.key(key)
                value.write(to: &writer)
            }
            writer.endObject()
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let value: JSONValue
    do {
        value = try JSONValue.parse(bytes)
    } catch {
        precondition(error.offset >= 0 && error.offset <= bytes.count, "offset \(error.offset) of \(bytes.count)")
        return 0
    }
    var writer = JSONWriter()
    value.write(to: &writer)
    do {
        let again = try JSONValue.parse(writer.bytes)
        precondition(again == value, "read back differently: \(String(decoding: writer.bytes, as: UTF8.self))")
    } catch {
        preconditionFailure("written back unreadable (\(error)): \(String(decoding: writer.bytes, as: UTF8.self))")
    }
    return 0
}
