import Foundation

extension KafkaConfig {
    /// Builds a configuration from environment variables.
    ///
    /// Mapping (documented in docs/kafka.md):
    /// - every variable `KAFKA_<NAME>` becomes the librdkafka property `<name>`: lowercased, each
    ///   `_` turned into `.` and each `__` into a literal `_`. `KAFKA_BOOTSTRAP_SERVERS` →
    ///   `bootstrap.servers`, `KAFKA_SASL_PASSWORD` → `sasl.password`,
    ///   `KAFKA_SSL_CA_LOCATION` → `ssl.ca.location`.
    /// - `KAFKA_<NAME>_FILE` reads the value of `<name>` from that file (for mounted secrets),
    ///   one trailing newline removed. It wins over `KAFKA_<NAME>` when both are set.
    ///
    /// - Parameter environment: usually `ProcessInfo.processInfo.environment`.
    /// - Throws: ``KafkaError`` of kind ``KafkaError/Kind/configuration`` when a `_FILE` cannot be read.
    public static func fromEnvironment(_ environment: [String: String]) throws -> KafkaConfig {
        var config = KafkaConfig()
        var fromFiles: [String: String] = [:]
        for (variable, value) in environment where variable.hasPrefix("KAFKA_") {
            let name = String(variable.dropFirst("KAFKA_".count))
            guard !name.isEmpty else { continue }
            if name.hasSuffix("_FILE"), name.count > "_FILE".count {
                let property = propertyName(String(name.dropLast("_FILE".count)))
                fromFiles[property] = try readSecretFile(value, property: property)
            } else {
                config[propertyName(name)] = value
            }
        }
        return config.merging(fromFiles)
    }

    /// `SASL_PASSWORD` → `sasl.password`; `__` → `_`.
    static func propertyName(_ variableSuffix: String) -> String {
        variableSuffix.lowercased()
            .split(separator: "__", omittingEmptySubsequences: false)
            .map { $0.replacingOccurrences(of: "_", with: ".") }
            .joined(separator: "_")
    }

    private static func readSecretFile(_ path: String, property: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path),
            var text = String(data: data, encoding: .utf8)
        else {
            throw KafkaError(
                kind: .configuration, message: "cannot read file '\(path)' for property '\(property)'",
                property: property)
        }
        if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
