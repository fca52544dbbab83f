import BerthCore
import BerthHTTP
import BerthServer
import FoundationEssentials

/// The container endpoints: create, the lifecycle, inspect, list, wait, attach and logs.
public struct ContainersRouter: APIRouter {
    let backend: any ContainersBackend

    /// The filter keys `GET /containers/json` takes, and those `POST /containers/prune` takes.
    public static let listFilters: Set<String> = ["ancestor", "before", "exited", "id", "label", "name", "since", "status", "volume"]
    public static let pruneFilters: Set<String> = ["label", "until"]

    public init(backend: any ContainersBackend) {
        self.backend = backend
    }

    public func register(on router: inout Router) {
        let backend = backend
        router.add(.post, "/containers/create") { request, _ in
            let bytes = try await request.jsonBody()
            guard case .object(let fields) = try Request.decode(JSONValue.self, from: bytes) else {
                throw APIError.invalidParameter("the body must be a JSON object")
            }
            if case .object(let hostFields) = fields["HostConfig"] ?? .null, let field = HostConfig.unsupportedField(in: hostFields) {
                throw APIError.invalidParameter("berthd does not support HostConfig.\(field) yet")
            }
            // Health checks, MAC addresses and network endpoint settings (aliases, addresses) are not acted on.
            for key in ["Healthcheck", "MacAddress", "NetworkingConfig"] where !(fields[key]?.isZero ?? true) {
                throw APIError.invalidParameter("berthd does not support \(key) yet")
            }
            let config = try Request.decode(ContainerConfig.self, from: bytes)
            let hostConfig = try Request.decode(CreateBody.self, from: bytes).HostConfig ?? HostConfig()
            let name = request.query["name"].flatMap { $0.isEmpty ? nil : $0 }
            return try .json(try await backend.create(name: name, config: config, hostConfig: hostConfig), status: .created)
        }
        router.add(.get, "/containers/json") { request, _ in
            let query = request.query
            let filters = try Filters(json: query["filters"] ?? "", allowed: Self.listFilters)
            let limit = try query.int("limit").flatMap { $0 > 0 ? $0 : nil }
            return try .json(try await backend.list(all: query.bool("all"), limit: limit, size: query.bool("size"), filters: filters))
        }
        router.add(.post, "/containers/prune") { request, _ in
            let filters = try Filters(json: request.query["filters"] ?? "", allowed: Self.pruneFilters)
            return try .json(try await backend.prune(filters: filters))
        }
        router.add(.get, "/containers/{name}/json") { _, context in
            try .json(try await backend.inspect(try context.parameter("name")))
        }
        router.add(.post, "/containers/{name}/start") { _, context in
            Response(status: try await backend.start(try context.parameter("name")) ? .noContent : .notModified)
        }
        router.add(.post, "/containers/{name}/stop") { request, context in
            let stopped = try await backend.stop(try context.parameter("name"), timeout: try request.query.int("t"),
                                                 signal: request.query["signal"].flatMap { $0.isEmpty ? nil : $0 })
            return Response(status: stopped ? .noContent : .notModified)
        }
        router.add(.post, "/containers/{name}/restart") { request, context in
            try await backend.restart(try context.parameter("name"), timeout: try request.query.int("t"),
                                      signal: request.query["signal"].flatMap { $0.isEmpty ? nil : $0 })
            return Response(status: .noContent)
        }
        router.add(.post, "/containers/{name}/kill") { request, context in
            try await backend.kill(try context.parameter("name"), signal: request.query["signal"].flatMap { $0.isEmpty ? nil : $0 })
            return Response(status: .noContent)
        }
        router.add(.post, "/containers/{name}/pause") { _, context in
            try await backend.pause(try context.parameter("name"))
            return Response(status: .noContent)
        }
        router.add(.post, "/containers/{name}/unpause") { _, context in
            try await backend.unpause(try context.parameter("name"))
            return Response(status: .noContent)
        }
        router.add(.post, "/containers/{name}/rename") { request, context in
            guard let newName = request.query["name"], !newName.isEmpty else {
                throw APIError.invalidParameter("Neither old nor new names may be empty")
            }
            try await backend.rename(try context.parameter("name"), to: newName)
            return Response(status: .noContent)
        }
        router.add(.get, "/containers/{name}/changes") { _, context in
            try .json(try await backend.changes(try context.parameter("name")))
        }
        router.add(.get, "/containers/{name}/export") { _, context in
            let write = try await backend.export(try context.parameter("name"))
            return .stream(headers: ["Content-Type": "application/x-tar"]) { writer in
                try await write { try await writer.write($0) }
            }
        }
        router.add(.head, "/containers/{name}/archive") { request, context in
            let stat = try await backend.statPath(try context.parameter("name"), path: try Self.archivePath(request.query))
            return Response(status: .ok, headers: [ContainerPathStat.headerName: stat.headerValue])
        }
        router.add(.get, "/containers/{name}/archive") { request, context in
            let (stat, write) = try await backend.archive(try context.parameter("name"), path: try Self.archivePath(request.query))
            return .stream(headers: ["Content-Type": "application/x-tar", ContainerPathStat.headerName: stat.headerValue]) { writer in
                try await write { try await writer.write($0) }
            }
        }
        router.add(.put, "/containers/{name}/archive") { request, context in
            let query = request.query
            let options = ExtractOptions(noOverwriteDirNonDir: query.bool("noOverwriteDirNonDir"), copyUIDGID: query.bool("copyUIDGID"))
            let body = request.body
            try await backend.extract(try context.parameter("name"), path: try Self.archivePath(query), options: options,
                                      from: { try await body.next() })
            return Response(status: .ok)
        }
        router.add(.post, "/commit") { request, _ in
            let query = request.query
            guard let name = query["container"], !name.isEmpty else { throw APIError.invalidParameter("No container specified") }
            var commit = CommitRequest()
            commit.repository = query["repo"].flatMap { $0.isEmpty ? nil : $0 }
            commit.tag = query["tag"].flatMap { $0.isEmpty ? nil : $0 }
            commit.comment = query["comment"] ?? ""
            commit.author = query["author"] ?? ""
            commit.pause = query["pause"].map { _ in query.bool("pause") } ?? true
            commit.changes = query.values("changes")
            let body = try await request.body.collect(upTo: 4 << 20)
            if !body.isEmpty, body != Array("null".utf8), body != Array("null\n".utf8) {
                commit.config = try Request.decode(ContainerConfig.self, from: body)
            }
            return try .json(["Id": try await backend.commit(name, commit)], status: .created)
        }
        router.add(.post, "/containers/{name}/resize") { request, context in
            let (height, width) = try ExecRouter.size(request.query)
            try await backend.resize(try context.parameter("name"), height: height, width: width)
            return Response(status: .ok)
        }
        router.add(.post, "/containers/{name}/update") { request, context in
            let bytes = try await request.jsonBody()
            guard case .object(let fields) = try Request.decode(JSONValue.self, from: bytes) else {
                throw APIError.invalidParameter("the body must be a JSON object")
            }
            if let field = fields.keys.sorted().first(where: { !ContainerUpdate.supportedFields.contains($0) && !(fields[$0]?.isZero ?? true) }) {
                throw APIError.invalidParameter("berthd does not support updating \(field) yet")
            }
            let warnings = try await backend.update(try context.parameter("name"), try Request.decode(ContainerUpdate.self, from: bytes))
            return try .json(["Warnings": warnings])
        }
        router.add(.delete, "/containers/{name}") { request, context in
            try await backend.remove(try context.parameter("name"), force: request.query.bool("force"), volumes: request.query.bool("v"))
            return Response(status: .noContent)
        }
        router.add(.get, "/containers/{name}/top") { request, context in
            try .json(try await backend.top(try context.parameter("name"), psArguments: request.query["ps_args"]))
        }
        router.add(.get, "/containers/{name}/stats") { request, context in
            let query = request.query
            let stream = query["stream"] == nil ? true : query.bool("stream")
            let samples = try await backend.stats(try context.parameter("name"), stream: stream, oneShot: query.bool("one-shot"))
            guard stream else {
                var iterator = samples.makeAsyncIterator()
                return try .json(try await iterator.next() ?? ContainerStats())
            }
            return .stream { writer in
                let encoder = JSONEncoder.goStyle()
                for try await sample in samples {
                    var line = Array(try encoder.encode(sample))
                    line.append(10)
                    try await writer.write(line)
                }
            }
        }
        router.add(.post, "/containers/{name}/wait") { request, context in
            let condition: WaitCondition
            switch request.query["condition"] ?? "" {
            case "": condition = .notRunning
            case let text:
                guard let known = WaitCondition(rawValue: text) else {
                    throw APIError.invalidParameter("invalid condition: \"\(text)\"")
                }
                condition = known
            }
            let wait = try await backend.wait(try context.parameter("name"), condition: condition)
            // The headers go out now: the CLI sends `start` only once it has them.
            return .stream { writer in
                var answer = #"{"Error":null,"StatusCode":"#
                do {
                    let code = try await wait()
                    answer += "\(code)}"
                } catch is CancellationError {
                    answer = #"{"Error":{"Message":"context canceled"},"StatusCode":-1}"#
                } catch {
                    let message = JSONText.quoted(ErrorKind.classify(error).message)
                    answer = #"{"Error":{"Message":"# + message + #"},"StatusCode":-1}"#
                }
                try await writer.write(answer + "\n")
            }
        }
        router.add(.post, "/containers/{name}/attach") { request, context in
            let query = request.query
            var options = AttachOptions()
            options.stdin = query.bool("stdin")
            options.stdout = query.bool("stdout")
            options.stderr = query.bool("stderr")
            options.stream = query.bool("stream")
            options.logs = query.bool("logs")
            options.detachKeys = query["detachKeys"] ?? ""
            guard options.stream || options.logs else {
                throw APIError.invalidParameter("at least one of logs or stream must be set")
            }
            let streams = try await backend.attach(try context.parameter("name"), options: options)
            return streams.response(upgrade: request.head.wantsUpgrade, stdin: options.stdin, standardHeaders: false)
        }
        router.add(.get, "/containers/{name}/logs") { request, context in
            let query = request.query
            var options = LogsOptions()
            options.stdout = query.bool("stdout")
            options.stderr = query.bool("stderr")
            guard options.stdout || options.stderr else {
                throw APIError.invalidParameter("Bad parameters: you must choose at least one stream")
            }
            options.follow = query.bool("follow")
            options.timestamps = query.bool("timestamps")
            let now = Timestamp.nowNanoseconds()
            options.since = try query["since"].flatMap { $0.isEmpty || $0 == "0" ? nil : try APITimestamp.parse($0, now: now) }
            options.until = try query["until"].flatMap { $0.isEmpty || $0 == "0" ? nil : try APITimestamp.parse($0, now: now) }
            // dockerd reads a `tail` that is not a number as "all".
            options.tail = query["tail"].flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil }
            let streams = try await backend.logs(try context.parameter("name"), options: options)
            return .stream(headers: HTTPHeaders()) { writer in
                try await streams.run(nil, ContainerStreams.sink(tty: streams.tty) { try await writer.write($0) })
            }
        }
    }

    /// The archive routes' `path`, which dockerd requires.
    private static func archivePath(_ query: QueryParameters) throws -> String {
        guard let path = query["path"], !path.isEmpty else { throw APIError.invalidParameter("path value is required") }
        return path
    }

    /// The `HostConfig` of a create request's body (the rest is the `ContainerConfig`).
    private struct CreateBody: Decodable {
        var HostConfig: HostConfig?
    }
}
