import BerthHTTP

/// Versioned APIs: checks the `/v{version}` of a request against a supported range, records the
/// version the request is served at, and stamps every response with the API's standard fields.
/// What the fields are and how an out-of-range version is answered is the API's policy, given in
/// a `Policy`; the daemon supplies Docker's.
public struct APIVersionMiddleware: Middleware {
    /// An API's versioning rules.
    public struct Policy: Sendable {
        public var minimum: APIVersion
        public var maximum: APIVersion
        /// Stamped on every response that does not set them itself (or opts out with
        /// `Response.omitsStandardHeaders`).
        public var fields: HTTPHeaders
        /// Stamped on the answers to versions out of range.
        public var versionErrorFields: HTTPHeaders
        /// The answer to a requested version above `maximum`.
        public var tooNew: @Sendable (_ requested: String, _ maximum: APIVersion) -> Response
        /// The answer to a requested version below `minimum`.
        public var tooOld: @Sendable (_ requested: String, _ minimum: APIVersion) -> Response

        public init(minimum: APIVersion, maximum: APIVersion, fields: HTTPHeaders, versionErrorFields: HTTPHeaders,
                    tooNew: @escaping @Sendable (String, APIVersion) -> Response,
                    tooOld: @escaping @Sendable (String, APIVersion) -> Response) {
            self.minimum = minimum
            self.maximum = maximum
            self.fields = fields
            self.versionErrorFields = versionErrorFields
            self.tooNew = tooNew
            self.tooOld = tooOld
        }
    }

    public let policy: Policy

    public init(_ policy: Policy) {
        self.policy = policy
    }

    public func willRespond(to request: Request, context: inout RequestContext) throws -> Response? {
        guard let text = context.requestedVersion else {
            context.apiVersion = policy.maximum
            return nil
        }
        let requested = APIVersion(text)
        var answer: Response
        if requested > policy.maximum {
            answer = policy.tooNew(String(text), policy.maximum)
        } else if requested < policy.minimum {
            answer = policy.tooOld(String(text), policy.minimum)
        } else {
            context.apiVersion = requested
            return nil
        }
        Self.stamp(&answer, with: policy.versionErrorFields)
        return answer
    }

    public func didRespond(to request: Request, context: RequestContext, response: inout Response) {
        if !response.omitsStandardHeaders && !response.isStamped { Self.stamp(&response, with: policy.fields) }
    }

    /// Adds each standard field the handler did not set itself. When it set none (the usual case)
    /// the prebuilt fields are kept apart and written after the handler's, at no copy.
    private static func stamp(_ response: inout Response, with fields: HTTPHeaders) {
        if response.headers.containsAny(of: fields) {
            for field in fields { response.headers.setIfAbsent(field.name, field.value) }
        } else {
            response.standardFields = fields
        }
        response.isStamped = true
    }
}
