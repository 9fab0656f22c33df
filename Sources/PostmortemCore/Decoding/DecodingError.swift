/// Why an input message was rejected: the JSON field path and the reason.
///
/// `description` reads like `data.checks[2].direction: expected one of above|below, got "over"`.
public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Path of the offending field (`$` for the whole message, `header ce_id` for a Kafka header).
    public let path: String
    /// What is wrong with it.
    public let reason: String

    /// Creates an error for `path` with `reason`.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// `path: reason`.
    public var description: String { "\(path): \(reason)" }
}
