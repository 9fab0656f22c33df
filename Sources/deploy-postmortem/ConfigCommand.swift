import ArgumentParser
import Foundation
import Kafka
import Postgres
import PostmortemService

/// `deploy-postmortem config`: inspects the configuration `serve` reads.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the service's configuration.",
        subcommands: [ConfigCheckCommand.self]
    )
}

/// `deploy-postmortem config check`: validates the environment (and the files it names) the way
/// `serve` reads it, without connecting to anything; prints `configuration ok` or every problem.
struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration serve would read, without connecting to anything.",
        discussion: """
            Reads the environment and the files it names (DATABASE_URL_FILE, API_TOKENS_FILE, \
            OWNERSHIP_MAP_FILE, PROMETHEUS_SOURCE_FILE, UI_SESSION_KEY_FILE, KAFKA_*_FILE, TLS files) with the parser serve uses, checks the \
            Kafka properties against librdkafka and the database URL against libpq, and prints \
            "configuration ok" (exit 0) or one line per problem, naming the variable (exit 1). \
            Secret values are never printed.
            """
    )

    func run() throws {
        let problems = ConfigurationCheck.problems(in: ProcessInfo.processInfo.environment)
        guard !problems.isEmpty else {
            print("configuration ok")
            return
        }
        for problem in problems { print(problem) }
        throw ExitCode.failure
    }
}

/// Every problem of a configuration, one line each, each naming its variable.
///
/// `ServiceConfiguration.fromEnvironment` stops at the first invalid value; to report them all,
/// the variable an error names is set aside and the environment read again, until it reads.
/// Then what `serve` would only find out when it starts its clients is checked offline: the
/// Kafka properties (librdkafka), the database URL (libpq), and the files they name.
enum ConfigurationCheck {
    static func problems(in environment: [String: String]) -> [String] {
        var remaining = environment
        var problems: [String] = []
        do {
            _ = try LogSetup.settings(environment)
        } catch {
            problems.append(error.description)
        }
        while true {
            do {
                let configuration = try ServiceConfiguration.fromEnvironment(remaining)
                return problems + kafkaProblems(configuration.kafka, environment)
                    + databaseProblems(configuration.database.connection, environment)
            } catch {
                let (message, variables) = explain(error, remaining)
                problems.append(message)
                // An error no variable can be blamed for cannot be stepped over.
                guard !variables.isEmpty else { return problems }
                for name in variables { remaining[name] = nil }
            }
        }
    }

    /// The error's one-line message, starting with the variable it concerns, and the variables
    /// it blames.
    static func explain(_ error: any Error, _ environment: [String: String]) -> (String, [String]) {
        let message: String
        let variables: [String]
        switch error {
        case let error as KafkaError:
            message = error.message
            variables = error.property.map { kafkaVariables(for: $0, environment) } ?? []
        case let error as PostgresError:
            message = error.message
            variables = named(in: message, environment)
        default:
            message = "\(error)"
            variables = named(in: message, environment)
        }
        return (line(variables, message), variables)
    }

    /// `message`, prefixed with the variables unless it starts with one of them.
    static func line(_ variables: [String], _ message: String) -> String {
        guard !variables.isEmpty, !variables.contains(where: message.hasPrefix) else { return message }
        // "cannot read DATABASE_URL_FILE /x: …" → "DATABASE_URL_FILE: cannot read /x: …"
        if variables.count == 1, let range = message.range(of: variables[0] + " ") {
            return "\(variables[0]): \(message.replacingCharacters(in: range, with: ""))"
        }
        return "\(variables.joined(separator: ", ")): \(message)"
    }

    /// Whether `variable` or its `_FILE` form is set in the environment as given (a variable
    /// already reported is not reported again as missing).
    static func isSet(_ variable: String, _ environment: [String: String]) -> Bool {
        [variable, variable + "_FILE"].contains { !(environment[$0] ?? "").isEmpty }
    }

    /// The variables of `environment` that `message` names as whole words.
    static func named(in message: String, _ environment: [String: String]) -> [String] {
        let words = Set(message.split { !($0.isUppercase || $0.isNumber || $0 == "_") }.map(String.init))
        return environment.keys.filter(words.contains).sorted()
    }

    /// The `KAFKA_*` variables that set librdkafka property `property` (`sasl.password` ←
    /// `KAFKA_SASL_PASSWORD`, `KAFKA_SASL_PASSWORD_FILE`).
    static func kafkaVariables(for property: String, _ environment: [String: String]) -> [String] {
        let name =
            "KAFKA_"
            + property.replacingOccurrences(of: "_", with: "__").replacingOccurrences(of: ".", with: "_").uppercased()
        return [name, name + "_FILE"].filter { environment[$0] != nil }
    }

    /// What librdkafka would refuse when `serve` creates its clients, and settings that cannot work.
    static func kafkaProblems(_ config: KafkaConfig, _ environment: [String: String]) -> [String] {
        var config = config
        var problems: [String] = []
        while true {
            do {
                try config.validate()
                break
            } catch let error as KafkaError {
                guard let property = error.property, config[property] != nil else {
                    problems.append(line(["KAFKA_*"], error.message))
                    break
                }
                problems.append(line(kafkaVariables(for: property, environment), error.message))
                config[property] = nil
            } catch {
                problems.append(line(["KAFKA_*"], "\(error)"))
                break
            }
        }
        if !isSet("KAFKA_BOOTSTRAP_SERVERS", environment) {
            problems.append("KAFKA_BOOTSTRAP_SERVERS: not set; serve would never reach a broker")
        }
        for property in config.properties.keys.sorted() where property.hasSuffix(".location") {
            let path = config[property] ?? ""
            guard property != "ssl.ca.location" || path != "probe" else { continue }
            if !FileManager.default.isReadableFile(atPath: path) {
                problems.append(
                    line(
                        kafkaVariables(for: property, environment),
                        "cannot read file '\(path)' for property '\(property)'"))
            }
        }
        let saslMechanism = (config.saslMechanism ?? "GSSAPI").uppercased()
        if (config.securityProtocol ?? "").lowercased().hasPrefix("sasl"),
            ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"].contains(saslMechanism)
        {
            for (property, variable) in [
                ("sasl.username", "KAFKA_SASL_USERNAME"), ("sasl.password", "KAFKA_SASL_PASSWORD"),
            ]
            where (config[property] ?? "").isEmpty && !isSet(variable, environment) {
                problems.append("\(variable): not set (nor \(variable)_FILE), but SASL \(saslMechanism) needs it")
            }
        }
        return problems
    }

    /// What libpq would refuse before connecting: an unparsable URL, a missing target, unreadable
    /// TLS files. libpq's parse errors quote the string, which may hold a password: not shown.
    static func databaseProblems(_ database: PostgresConfiguration, _ environment: [String: String]) -> [String] {
        let source = environment["DATABASE_URL"].map { _ in "DATABASE_URL" } ?? "DATABASE_URL_FILE"
        var problems: [String] = []
        if database.connectionString.isEmpty {
            if !["DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGSERVICE"].contains(where: { isSet($0, environment) }) {
                problems.append(
                    "DATABASE_URL: not set (nor DATABASE_URL_FILE, PGHOST or PGSERVICE); serve would try a local socket"
                )
            }
        } else if (try? database.redacted()) == nil {
            problems.append(
                "\(source): not a valid libpq URL or conninfo string (libpq's message is withheld: it may quote a password)"
            )
        }
        for variable in ["PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY", "PGSSLCRL", "PGPASSFILE"] {
            guard let path = environment[variable], !path.isEmpty, path != "system" else { continue }
            if !FileManager.default.isReadableFile(atPath: path) {
                problems.append("\(variable)=\(path): cannot read the file")
            }
        }
        return problems
    }
}
