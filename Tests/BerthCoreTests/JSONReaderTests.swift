import BerthCore
import BerthTesting
import FoundationEssentials
import Testing

@Suite struct JSONReaderTests {
    /// A small document type read the way the runtime's types read themselves.
    struct Member: JSONReadable, JSONWritable, Equatable {
        var name = ""
        var count: Int64?
        var tags: [String]?
        var nested: [Member]?

        init(name: String = "", count: Int64? = nil, tags: [String]? = nil, nested: [Member]? = nil) {
            self.name = name
            self.count = count
            self.tags = tags
            self.nested = nested
        }

        init(json reader: inout JSONReader) throws(JSONError) {
            try reader.beginObject()
            while let key = try reader.nextKey() {
                switch key {
                case "name": name = try reader.readString()
                case "count": count = try reader.readOptionalInteger()
                case "tags": tags = try reader.readOptionalStrings()
                case "nested": nested = try reader.readArray(of: Member.self)
                default: try reader.skipValue()
                }
            }
        }

        func write(json writer: inout JSONWriter) {
            writer.beginObject()
            writer.member("name", name)
            writer.member("count", count)
            writer.member("tags", tags)
            writer.member("nested", nested)
            writer.endObject()
        }
    }

    @Test func readsMembersSkipsUnknownOnesAndTakesNullAsAbsent() throws {
        let text = """
            { "name" : "top", "count": -12, "unknown": {"a": [1, 2.5e-3, true, false, null, {"b": "c"}]},
              "tags": ["x", "y"], "nested": [ {"name": "child", "count": null, "tags": null} , {"name": "other"} ] }
            """
        let member = try Member(jsonDocument: Array(text.utf8))
        #expect(member == Member(name: "top", count: -12, tags: ["x", "y"],
                                 nested: [Member(name: "child"), Member(name: "other")]))
    }

    @Test func unescapesStringsAsGoDoes() throws {
        func read(_ literal: String) throws -> String {
            var reader = JSONReader(literal)
            let value = try reader.readString()
            try reader.finish()
            return value
        }
        #expect(try read(#""a\"b\\c\/d\b\f\n\r\t""#) == "a\"b\\c/d\u{08}\u{0C}\n\r\t")
        #expect(try read(#""\u00e9\u20AC""#) == "é€")
        #expect(try read(#""\ud83d\ude00!""#) == "😀!", "a surrogate pair is one scalar")
        #expect(try read(#""\ud83dx""#) == "\u{FFFD}x", "a lone high surrogate becomes U+FFFD")
        #expect(try read(#""\ude00""#) == "\u{FFFD}", "a lone low surrogate becomes U+FFFD")
        #expect(try read(#""\ud83d\u0041""#) == "\u{FFFD}A", "a high surrogate before a non-surrogate")
        #expect(try read("\"héllo ✓\"") == "héllo ✓")
        var invalid = JSONReader([0x22, 0xFF, 0x61, 0x22])
        #expect(try invalid.readString() == "\u{FFFD}a", "invalid UTF-8 becomes U+FFFD")
    }

    @Test func readsIntegersInRangeAndRefusesTheRest() throws {
        func read<T: FixedWidthInteger>(_ text: String, as type: T.Type) throws(JSONError) -> T {
            var reader = JSONReader(text)
            return try reader.readInteger(T.self)
        }
        #expect(try read("18446744073709551615", as: UInt64.self) == UInt64.max)
        #expect(try read("-9223372036854775808", as: Int64.self) == Int64.min)
        #expect(try read("9223372036854775807", as: Int64.self) == Int64.max)
        #expect(try read("0", as: UInt32.self) == 0)
        #expect(try read("-1", as: Int32.self) == -1)
        #expect(try read("-128", as: Int8.self) == -128)
        #expect(throws: JSONError.self) { try read("18446744073709551616", as: UInt64.self) }
        #expect(throws: JSONError.self) { try read("9223372036854775808", as: Int64.self) }
        #expect(throws: JSONError.self) { try read("-129", as: Int8.self) }
        #expect(throws: JSONError.self) { try read("4294967296", as: UInt32.self) }
        #expect(throws: JSONError.self) { try read("-1", as: UInt32.self) }
        #expect(throws: JSONError.self) { try read("1.5", as: Int.self) }
        #expect(throws: JSONError.self) { try read("1e3", as: Int.self) }
        #expect(throws: JSONError.self) { try read("\"1\"", as: Int.self) }
        do {
            _ = try read("4294967296", as: UInt32.self)
        } catch {
            #expect(error.message == "number 4294967296 is out of range for UInt32")
        }
    }

    @Test func refusesMalformedDocumentsWithWhereTheyWentWrong() {
        let cases: [(String, String)] = [
            ("", "unexpected end of JSON input"),
            ("{\"name\": \"a\",}", "expected a string as an object key"),
            ("{\"name\" \"a\"}", "expected ':' after object key"),
            ("{\"name\": \"a\" \"count\": 1}", "invalid character '\"' after object key:value pair"),
            ("{\"nested\": [{\"name\": \"a\"},]}", "invalid character ']' looking for beginning of value"),
            ("{\"nested\": [{\"name\": \"a\"} {\"name\": \"b\"}]}", "invalid character '{' after array element"),
            ("{\"name\": \"a", "unexpected end of JSON input in a string"),
            ("{\"name\": \"a\nb\"}", "invalid control character in string"),
            ("{\"name\": \"\\x\"}", "invalid escape character 'x' in string"),
            ("{\"name\": \"\\u12\"}", "invalid character '\"' in \\u escape"),
            ("{\"count\": 012}", "invalid number: leading zero"),
            ("{\"count\": -}", "invalid number: no digits"),
            ("{\"x\": 1.}", "invalid number: no digits after the decimal point"),
            ("{\"x\": 1e+}", "invalid number: no digits in the exponent"),
            ("{\"x\": 12a}", "invalid number"),
            ("{\"x\": tru}", "invalid literal (expected true)"),
            ("{\"x\": nul}", "invalid literal (expected null)"),
            ("{\"name\": 3}", "expected a string, found a number"),
            ("{\"nested\": {}}", "expected an array, found an object"),
            ("{} x", "invalid character 'x' after top-level value"),
            ("[]", "expected an object, found an array"),
            ("{\"x\": @}", "invalid character '@' looking for beginning of value"),
        ]
        for (text, message) in cases {
            do {
                _ = try Member(jsonDocument: Array(text.utf8))
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.message == message, "for \(text)")
            }
        }
        do {
            _ = try Member(jsonDocument: Array("{\"tags\": [\"a\", 1]}".utf8))
        } catch {
            #expect(error.description == "expected a string, found a number (after key \"tags\", offset 15)")
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        var reader = JSONReader(deep)
        do {
            try reader.skipValue()
            Issue.record("read 100,000 nested arrays")
        } catch {
            #expect(error.message == "exceeded max depth of 512")
            #expect(error.offset == 512)
        }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        var fineReader = JSONReader(fine)
        #expect(throws: Never.self) { try fineReader.skipValue(); try fineReader.finish() }
    }

    @Test func writesCompactJSONWithGoEscapingThatReadsBack() throws {
        let member = Member(name: "<a & \"b\">\n", count: Int64.min, tags: [], nested: [Member(name: "c", count: 0), Member()])
        let text = String(decoding: member.jsonDocument, as: UTF8.self)
        #expect(text == #"{"name":"\u003ca \u0026 \"b\"\u003e\n","count":-9223372036854775808,"tags":[],"nested":[{"name":"c","count":0},{"name":""}]}"#)
        #expect(try Member(jsonDocument: member.jsonDocument) == member)
        var writer = JSONWriter()
        writer.beginArray()
        writer.integer(UInt64.max)
        writer.bool(true)
        writer.null()
        writer.beginObject()
        writer.endObject()
        writer.strings(["a"])
        writer.raw(Array("{\"k\":1}".utf8))
        writer.endArray()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"[18446744073709551615,true,null,{},["a"],{"k":1}]"#)
    }

    /// Mutated documents (seeded, reproducible): the reader accepts exactly what Foundation's
    /// decoder accepts, and never crashes. Foundation alone accepts a comma before a closing
    /// brace, which RFC 8259 and Go's decoder refuse.
    @Test func agreesWithFoundationOnMutatedDocuments() throws {
        let seed = Array(#"{"a": [1, -2.5e3, "x\"y\u00e9", true, false, null], "b": {"c": {}, "d": []}, "e": "f"}"#.utf8)
        let alphabet = Array(#"{}[]":,.-+0123456789eE \"\\ntrfalsu"#.utf8)
        var random = SeededGenerator(seed: 0x5EED_CAFE)
        var disagreements: [String] = []
        for _ in 0..<3000 {
            var document = seed
            for _ in 0..<Int(random.next() % 3 + 1) {
                let position = Int(random.next() % UInt64(document.count))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0: document[position] = byte
                case 1: document.insert(byte, at: position)
                default: document.remove(at: position)
                }
                if document.isEmpty { document = [UInt8(ascii: "0")] }
            }
            let ours = Self.isWellFormed(document)
            let foundation = (try? JSONDecoder().decode(JSONValue.self, from: Data(document))) != nil && !Self.hasTrailingComma(document)
            if ours != foundation { disagreements.append("\(ours ? "accepted" : "refused"): \(String(decoding: document, as: UTF8.self))") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }
}

extension JSONReaderTests {
    /// Whether a comma comes right before a closing bracket or brace, outside strings.
    static func hasTrailingComma(_ document: [UInt8]) -> Bool {
        var inString = false, escaped = false, afterComma = false
        for byte in document {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true; afterComma = false
            case UInt8(ascii: ","): afterComma = true
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if afterComma { return true }
            case 0x20, 0x0A, 0x0D, 0x09: break
            default: afterComma = false
            }
        }
        return false
    }

    static func isWellFormed(_ document: [UInt8]) -> Bool {
        var reader = JSONReader(document)
        do {
            try reader.skipValue()
            try reader.finish()
            return true
        } catch {
            return false
        }
    }
}
