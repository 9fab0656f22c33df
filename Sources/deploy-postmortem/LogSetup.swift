import Foundation
import Logging
import PostmortemService

/// Chooses the log format once per process: JSON lines in production (`LOG_FORMAT=json`, the
/// default when standard error is not a terminal), readable text on a terminal (`LOG_FORMAT=text`).
/// `LOG_LEVEL` sets the level (trace … critical, default info). Logs go to standard error.
enum LogSetup {
    /// The level and format `environment` asks for (absent or empty: the defaults). An unknown
    /// `LOG_LEVEL` or `LOG_FORMAT` is an invalid configuration naming the variable and what it accepts.
    static func settings(_ environment: [String: String]) throws(ServiceError) -> (level: Logger.Level, json: Bool) {
        func value(_ name: String) -> String? {
            environment[name].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        var level = Logger.Level.info
        if let text = value("LOG_LEVEL") {
            guard let parsed = Logger.Level(rawValue: text.lowercased()) else {
                throw .invalidConfiguration(
                    "LOG_LEVEL=\(text): expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            level = parsed
        }
        var json = isatty(STDERR_FILENO) == 0
        if let text = value("LOG_FORMAT") {
            guard ["json", "text"].contains(text.lowercased()) else {
                throw .invalidConfiguration("LOG_FORMAT=\(text): expected json or text")
            }
            json = text.lowercased() == "json"
        }
        return (level, json)
    }

    /// Bootstraps logging from `environment`. When `LOG_LEVEL` or `LOG_FORMAT` is invalid, the
    /// defaults are used and the problem is returned, for the command to report and refuse.
    @discardableResult
    static func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment) -> ServiceError? {
        var problem: ServiceError?
        let (level, json): (Logger.Level, Bool)
        do {
            (level, json) = try settings(environment)
        } catch {
            problem = error
            (level, json) = (.info, isatty(STDERR_FILENO) == 0)
        }
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return problem
    }
}

/// Writes one JSON object per line to standard error: `ts`, `level`, `logger`, `msg`, then
/// the metadata (e.g. `deploy_id`, `postmortem_id`) as string fields.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = "\(value)"
        }
        fields["ts"] = Date().formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        fields["level"] = event.level.rawValue
        fields["logger"] = label
        fields["msg"] = "\(event.message)"
        guard
            var line = try? JSONSerialization.data(
                withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        line.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(line)
    }
}
