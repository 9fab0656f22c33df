/// Why the service cannot do its job on its own account: a setting it cannot use, an
/// installation it cannot start from, or stored state that breaks its own rules. In the style of
/// swift-service-lifecycle's `ServiceGroupError`: a ``code`` to match on (the only part
/// compared and hashed) and a ``message`` that says what is wrong, naming the variable, file or
/// row, built by static factory functions.
///
/// Other errors keep their own types because they are other concerns: those of the layers
/// below (`PostgresError`, `KafkaError`) carry the SQLSTATE or librdkafka code that decides
/// whether the pipeline retries; the API's ``APIError`` is an HTTP problem response (a status
/// and a body written for the client, never a reason the service stops), and the refusals of
/// an action-item edit (`ActionItemEditError`) are what the API turns into 404, 409 or 412.
public struct ServiceError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of error it is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum _Code: Hashable, Sendable {
            case invalidConfiguration
            case incompleteInstallation
            case inconsistentState
        }

        private let code: _Code

        private init(_ code: _Code) {
            self.code = code
        }

        /// A string representation of the code.
        public var description: String {
            switch code {
            case .invalidConfiguration: "invalid configuration"
            case .incompleteInstallation: "incomplete installation"
            case .inconsistentState: "inconsistent stored state"
            }
        }

        /// A setting (an environment variable, or a file one names) is missing, malformed or
        /// out of range, or contradicts another.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// Something the installation must ship (the migrations) is missing.
        public static let incompleteInstallation = Code(.incompleteInstallation)
        /// Stored rows break a rule the service keeps (a bug or a hand edit, never bad input).
        public static let inconsistentState = Code(.inconsistentState)
    }

    /// The kind of error.
    public let code: Code
    /// What is wrong, naming the variable, file or row; never a secret value.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message: it is written to be read on its own (a log line, `config check`).
    public var description: String { message }

    /// Equal when the codes are.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the code.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// A setting is missing, malformed, out of range or contradicts another; `message` starts
    /// with the variable (`NAME=value: expected …`) or names it.
    public static func invalidConfiguration(_ message: String) -> Self { Self(.invalidConfiguration, message) }

    /// Something the installation must ship is missing.
    public static func incompleteInstallation(_ message: String) -> Self { Self(.incompleteInstallation, message) }

    /// Stored rows break a rule the service keeps.
    public static func inconsistentState(_ message: String) -> Self { Self(.inconsistentState, message) }
}
