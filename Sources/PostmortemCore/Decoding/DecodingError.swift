/// Why an input message was rejected: the JSON field path and the reason. Or, when `isIgnored`,
/// why a valid message is accepted but not used (a CDEvents type the product does not need).
///
/// `description` reads like `data.checks[2].direction: expected one of above|below, got "over"`.
/// Path and reason are bounded (``maxPathBytes``, ``maxReasonBytes``), so an error never echoes
/// unbounded input.
public struct DecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Longest path kept, in UTF-8 bytes; a longer one is cut and ends with `…`.
    public static let maxPathBytes = 128
    /// Longest reason kept, in UTF-8 bytes; a longer one is cut and ends with `…`.
    public static let maxReasonBytes = 256

    /// Path of the offending field (`$` for the whole message, `header ce_id` for a Kafka header).
    public let path: String
    /// What is wrong with it.
    public let reason: String
    /// True when the message is valid but of a type the product does not use: accept it and
    /// ignore it (count it), never dead-letter it.
    public let isIgnored: Bool

    /// Creates an error for `path` with `reason` (both bounded).
    public init(path: String, reason: String) {
        self.init(path: path, reason: reason, isIgnored: false)
    }

    private init(path: String, reason: String, isIgnored: Bool) {
        self.path = Self.bounded(path, Self.maxPathBytes)
        self.reason = Self.bounded(reason, Self.maxReasonBytes)
        self.isIgnored = isIgnored
    }

    /// A valid message of a type the product does not use, at `path`, with why.
    public static func ignored(path: String, reason: String) -> DecodingError {
        DecodingError(path: path, reason: reason, isIgnored: true)
    }

    /// `path: reason`.
    public var description: String { "\(path): \(reason)" }

    /// `text` cut to at most `limit` UTF-8 bytes on a character boundary, with `…` when cut.
    static func bounded(_ text: String, _ limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var kept = ""
        var bytes = 0
        for scalar in text.unicodeScalars {
            let size = UTF8.width(scalar)
            guard bytes + size <= limit - 3 else { break }
            kept.unicodeScalars.append(scalar)
            bytes += size
        }
        return kept + "…"
    }
}
