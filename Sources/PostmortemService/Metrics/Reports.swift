import Foundation
import PostmortemCore

// What the service's parts did, as they report it to logs and to ``ServiceMetrics``.

/// What applying a batch did, for logs and metrics.
struct BatchOutcome: Sendable, Equatable {
    /// Whether an input event was new or seen before.
    enum EventOutcome: String, Sendable {
        /// Stored now (metric events always: their new points are counted in ``metricPoints``).
        case accepted
        /// Stored before (same source + id, same content): a redelivery.
        case duplicate
        /// One source + id seen with different contents: the smallest content digest is kept
        /// (this copy or another), as `analyze` does.
        case conflicting
        /// Valid, of a CDEvents type the product does not use: neither stored nor dead-lettered.
        case ignored
    }

    /// Input events handled, by kind (`InputEvent.kind`) and outcome.
    var events: [Pair: Int] = [:]
    var metricPoints = 0
    /// Identities seen with different contents, for a log line each.
    var conflicts: [ConflictingDuplicate] = []
    /// Headers the contract does not read that were not stored, over ``StoredHeaders``' caps.
    var headersDropped = 0

    /// An event kind and what became of it.
    struct Pair: Hashable, Sendable {
        var kind: String
        var outcome: EventOutcome
    }

    /// Events stored now.
    var newEvents: Int { events.filter { $0.key.outcome == .accepted }.values.reduce(0, +) }
    /// Events seen before.
    var duplicateEvents: Int { events.filter { $0.key.outcome == .duplicate }.values.reduce(0, +) }

    /// Counts one event of `kind`.
    mutating func count(_ kind: String, _ outcome: EventOutcome) {
        events[Pair(kind: kind, outcome: outcome), default: 0] += 1
    }

    /// Adds what another (partial) application did.
    mutating func add(_ other: BatchOutcome) {
        events.merge(other.events, uniquingKeysWith: +)
        metricPoints += other.metricPoints
        conflicts += other.conflicts
    }
}

/// What an analysis step did, for logs and metrics.
struct AnalysisOutcome: Sendable, Equatable {
    /// Deploys whose postmortem was opened.
    var opened: [String] = []
    /// Deploys whose postmortem changed.
    var updated: [String] = []
    /// The triggers of each postmortem opened.
    var openedTriggers: [[String]] = []
    /// The kind of each failure event the step could not attribute.
    var unattributedFailures: [String] = []
    /// Deploys whose postmortem was withdrawn (their last trigger moved to another deploy).
    var withdrawn: [String] = []
    /// Events whose deploy the step's re-derived attribution changed.
    var eventsMoved = 0
}

/// Why a connection was closed by the server rather than by its client.
enum DroppedConnectionReason: String, Sendable, CaseIterable {
    /// No byte and no request in progress for the idle timeout.
    case idleTimeout = "idle_timeout"
    /// A request head took longer than the header timeout.
    case headerTimeout = "header_timeout"
    /// A request body took longer than the body timeout.
    case bodyTimeout = "body_timeout"
    /// Closed to make room for a new connection, being the one idle the longest.
    case evicted
    /// A new connection refused: the limit was reached and no connection was idle.
    case refused
}
