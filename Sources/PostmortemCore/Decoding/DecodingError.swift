/// Why an input message was rejected: the JSON field path and the reason. Or, when `isIgnored`,
/// why a valid message is accepted but not used (a CDEvents type the product does not need).
///
/// `description` reads like `data.checks[2].direction: expected one of above|below, got "over"`.
public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Path of the offending field (`$` for the whole message, `header ce_id` for a Kafka header).
    public let path: String
    /// What is wrong with it.
    public let reason: String
    /// True when the message is valid but of a type the product does not use: accept it and
    /// ignore it (count it), never dead-letter it.
    public let isIgnored: Bool

    /// Creates an error for `path` with `reason`.
    public init(path: String, reason: String) {
        self.init(path: path, reason: reason, isIgnored: false)
    }

    private init(path: String, reason: String, isIgnored: Bool) {
        self.path = path
        self.reason = reason
        self.isIgnored = isIgnored
    }

    /// A valid message of a type the product does not use, at `path`, with why.
    public static func ignored(path: String, reason: String) -> DecodingError {
        DecodingError(path: path, reason: reason, isIgnored: true)
    }

    /// `path: reason`.
    public var description: String { "\(path): \(reason)" }
}
