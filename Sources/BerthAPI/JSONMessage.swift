/// One message of a progress stream (import, load), as the docker CLI prints it: a `status` line
/// (with a progress bar when `progressDetail` is set), a `stream` text, or an error.
public struct JSONMessage: Codable, Sendable, Equatable {
    public struct Progress: Codable, Sendable, Equatable {
        public var current: Int
        public var total: Int
        public init(current: Int, total: Int) {
            self.current = current
            self.total = total
        }
    }

    public struct ErrorDetail: Codable, Sendable, Equatable {
        public var message: String
        public init(message: String) { self.message = message }
    }

    public var status: String?
    public var progressDetail: Progress?
    public var progress: String?
    public var id: String?
    public var stream: String?
    public var errorDetail: ErrorDetail?
    public var error: String?

    public init(status: String? = nil, progressDetail: Progress? = nil, progress: String? = nil, id: String? = nil,
                stream: String? = nil) {
        self.status = status
        self.progressDetail = progressDetail
        self.progress = progress
        self.id = id
        self.stream = stream
    }

    /// An error in the middle of a stream, after the 200 has gone out:
    /// `{"errorDetail":{"message":…},"error":…}`.
    public static func failure(_ message: String) -> JSONMessage {
        var message_ = JSONMessage()
        message_.errorDetail = ErrorDetail(message: message)
        message_.error = message
        return message_
    }
}
