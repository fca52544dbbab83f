import BerthSync
import BerthLogging

/// The settings a `SIGHUP` reload may change while the daemon runs: `debug`, `log-level`,
/// `labels` and `api-cors-header`. Read per use; replaced whole on reload.
public final class LiveSettings: Sendable {
    public struct Values: Sendable, Equatable {
        public var debug: Bool
        public var logLevel: LogLevel
        public var labels: [String]
        public var apiCorsHeader: String
    }

    private let values: Locked<Values>

    init(_ configuration: DaemonConfiguration) {
        values = Locked(Values(configuration))
    }

    public var current: Values { values.withLock { $0 } }

    func replace(with new: Values) { values.withLock { $0 = new } }
}

extension LiveSettings.Values {
    init(_ configuration: DaemonConfiguration) {
        self.init(debug: configuration.debug, logLevel: configuration.logLevel, labels: configuration.labels,
                  apiCorsHeader: configuration.apiCorsHeader)
    }
}
