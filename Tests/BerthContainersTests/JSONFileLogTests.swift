@testable import BerthContainers
import BerthAPI
import BerthCore
import BerthSync
import BerthTesting
import Testing

/// The json-file log: dockerd's line format, rotation, and reading back with the logs options.
struct JSONFileLogTests {
    private func entry(_ text: String, _ stream: OutputStream = .stdout, at time: Int64) -> JSONFileLog.Entry {
        JSONFileLog.Entry(stream: stream, bytes: Array(text.utf8), time: time)
    }

    private func read(_ log: JSONFileLog, _ configure: (inout LogsOptions) -> Void = { _ in }) async throws -> [String] {
        var options = LogsOptions()
        options.stdout = true
        options.stderr = true
        configure(&options)
        let collected = Locked<[String]>([])
        try await LogReader(log: log, options: options).run { stream, bytes in
            collected.withLock { $0.append("\(stream == .stderr ? "E" : "O"):\(String(decoding: bytes, as: UTF8.self))") }
        }
        return collected.withLock { $0 }
    }

    @Test func linesAreWrittenAsDockerdWritesThem() async throws {
        let path = TestDirectory.path("log") + ".json"
        let log = JSONFileLog(path: path)
        try await log.append([entry("hi <there> \"q\" é\n", at: 1_795_373_265_612_342_897), entry("oops\n", .stderr, at: 1_795_373_265_700_000_000)])
        log.close()
        #expect(SmallFile.text(path) == """
            {"log":"hi \\u003cthere\\u003e \\"q\\" é\\n","stream":"stdout","time":"2026-11-22T18:47:45.612342897Z"}
            {"log":"oops\\n","stream":"stderr","time":"2026-11-22T18:47:45.7Z"}

            """)
        #expect(try await read(log) == ["O:hi <there> \"q\" é\n", "E:oops\n"])
    }

    @Test func readingFiltersStreamsTimesAndTails() async throws {
        let log = JSONFileLog(path: TestDirectory.path("log") + ".json")
        try await log.append((1...5).map { entry("line \($0)\n", $0 % 2 == 0 ? .stderr : .stdout, at: Int64($0) * 1_000_000_000) })
        #expect(try await read(log) { $0.stderr = false } == ["O:line 1\n", "O:line 3\n", "O:line 5\n"])
        #expect(try await read(log) { $0.tail = 2 } == ["E:line 4\n", "O:line 5\n"])
        #expect(try await read(log) { $0.since = 3_000_000_000; $0.until = 4_000_000_000 } == ["O:line 3\n", "E:line 4\n"])
        #expect(try await read(log) { $0.tail = 1; $0.timestamps = true } == ["O:1970-01-01T00:00:05.000000000Z line 5\n"])
        #expect(try await read(log) { $0.tail = 0 }.isEmpty)
    }

    @Test func theLogRotatesAtMaxSizeKeepingMaxFiles() async throws {
        let path = TestDirectory.path("log") + ".json"
        let log = JSONFileLog(path: path, maxSize: 200, maxFiles: 3)
        for index in 0..<20 { try await log.append([entry("entry number \(index)\n", at: Int64(index))]) }
        #expect(SmallFile.text(path + ".1") != nil && SmallFile.text(path + ".2") != nil && SmallFile.text(path + ".3") == nil)
        for file in [path, path + ".1", path + ".2"] { #expect((SmallFile.text(file)?.utf8.count ?? 0) <= 200) }
        let lines = try await read(log)
        #expect(lines.last == "O:entry number 19\n")
        #expect(lines == lines.sorted { Int($0.split(separator: " ").last!.dropLast())! < Int($1.split(separator: " ").last!.dropLast())! },
                "oldest file first")  // !: every line ends with a number
        #expect(lines.count < 20, "the oldest entries went with the oldest file")
    }

    @Test func aBatchLargerThanMaxSizeRotatesBetweenItsLines() async throws {
        let path = TestDirectory.path("log") + ".json"
        let log = JSONFileLog(path: path, maxSize: 300, maxFiles: 5)
        try await log.append((0..<12).map { entry("batch line \($0)\n", at: Int64($0)) })
        for file in [path, path + ".1", path + ".2"] {
            let size = SmallFile.text(file)?.utf8.count ?? 0
            #expect(size > 0 && size <= 300, "\(file): \(size)")
        }
        #expect(try await read(log).count == 12, "five files hold them all")
    }

    @Test func followingReadsNewLinesUntilTheRunEnds() async throws {
        let log = JSONFileLog(path: TestDirectory.path("log") + ".json", maxSize: 300, maxFiles: 3)
        log.beginRun()
        try await log.append([entry("before\n", at: 1)])
        let reader = Task { try await self.read(log) { $0.follow = true } }
        for index in 0..<6 { try await log.append([entry("during \(index)\n", at: Int64(index + 2))]) }
        log.endRun()
        let lines = try await reader.value
        #expect(lines.first == "O:before\n" && lines.last == "O:during 5\n", "\(lines)")
    }

    @Test func aFollowerThatCameBeforeTheFirstLineGetsIt() async throws {
        let log = JSONFileLog(path: TestDirectory.path("log") + ".json")
        log.beginRun()
        let reader = Task { try await self.read(log) { $0.follow = true } }
        // The reader has found no file (nothing written yet) and waits for a change.
        try await Task.sleep(for: .milliseconds(50))
        try await log.append([entry("first\n", at: 1)])
        log.endRun()
        #expect(try await reader.value == ["O:first\n"])
    }

    @Test func optionsAreChecked() throws {
        #expect(try JSONFileLog.options(["max-size": "10m", "max-file": "3"]) == (10 << 20, 3))
        #expect(throws: APIError.invalidParameter("max-file cannot be set without max-size")) { try JSONFileLog.options(["max-file": "2"]) }
        #expect(throws: APIError.self) { try JSONFileLog.options(["max-size": "ten"]) }
        #expect(throws: APIError.invalidParameter("unknown log opt 'colour' for json-file log driver")) {
            try JSONFileLog.options(["colour": "red"])
        }
    }

    @Test func foreignLinesAreReadThroughTheDecoder() {
        let line = Array(#"{"stream":"stderr","log":"x\ud83d\ude00\n","time":"2026-11-22T18:47:45.612342897Z","attrs":{}}"#.utf8)
        let entry = LogReader.parse(line[...])
        #expect(entry?.stream == .stderr && entry.map { String(decoding: $0.bytes, as: UTF8.self) } == "x😀\n")
    }
}
