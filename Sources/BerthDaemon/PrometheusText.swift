import BerthAPI
import BerthCore
import BerthEngine
import BerthServer

/// The Prometheus text exposition of the daemon's metrics (`GET /metrics`).
enum PrometheusText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func render(metrics: ServerMetrics.Snapshot, openConnections: Int, accepted: [String: UInt64],
                       jobs: [String: JobStats], logLinesDropped: Int) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        family("berth_http_requests_total", "counter", "HTTP requests answered, by method, route template and status code.")
        for (key, count) in metrics.requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.code) < ($1.key.route, $1.key.method, $1.key.code) }) {
            out += "berth_http_requests_total{method=\(label(key.method)),route=\(label(key.route)),code=\"\(key.code)\"} \(count)\n"
        }
        family("berth_http_request_duration_seconds", "histogram", "Time from a complete request head to its response.")
        for (i, bound) in ServerMetrics.bucketBounds.enumerated() {
            out += "berth_http_request_duration_seconds_bucket{le=\"\(number(bound))\"} \(metrics.bucketCounts[i])\n"
        }
        out += "berth_http_request_duration_seconds_bucket{le=\"+Inf\"} \(metrics.bucketCounts.last ?? 0)\n"
        out += "berth_http_request_duration_seconds_sum \(number(metrics.durationSum))\n"
        out += "berth_http_request_duration_seconds_count \(metrics.durationCount)\n"
        family("berth_connections_open", "gauge", "API connections open now.")
        out += "berth_connections_open \(openConnections)\n"
        family("berth_connections_accepted_total", "counter", "API connections accepted, by listener.")
        for (listener, count) in accepted.sorted(by: { $0.key < $1.key }) {
            out += "berth_connections_accepted_total{listener=\(label(listener))} \(count)\n"
        }
        family("berth_jobs_total", "counter", "Engine jobs run, by name and outcome.")
        for (name, stats) in jobs.sorted(by: { $0.key < $1.key }) {
            out += "berth_jobs_total{name=\(label(name)),outcome=\"ok\"} \(stats.count - stats.errors)\n"
            out += "berth_jobs_total{name=\(label(name)),outcome=\"error\"} \(stats.errors)\n"
        }
        family("berth_job_duration_seconds_total", "counter", "Total time spent in engine jobs, by name.")
        for (name, stats) in jobs.sorted(by: { $0.key < $1.key }) {
            out += "berth_job_duration_seconds_total{name=\(label(name))} \(number(stats.totalDuration.seconds))\n"
        }
        family("berth_log_lines_dropped_total", "counter", "Log lines dropped because the log's reader did not keep up.")
        out += "berth_log_lines_dropped_total \(logLinesDropped)\n"
        family("berth_build_info", "gauge", "Build information; always 1.")
        out += "berth_build_info{version=\(label(BerthVersion.version)),api_version=\(label(DockerAPI.version)),toolchain=\(label(BerthVersion.toolchain))} 1\n"
        return out
    }

    static func label(_ value: String) -> String {
        var out = "\""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out + "\""
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
