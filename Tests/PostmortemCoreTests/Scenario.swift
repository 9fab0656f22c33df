@testable import PostmortemCore

/// A realistic event set and exactly what its analysis must produce.
struct Scenario: Sendable, CustomStringConvertible {
    /// What the scenario shows.
    let name: String
    /// JSON lines, as a pipeline would send them.
    let lines: [String]
    /// The deploy the postmortem is about.
    let deployId: String
    /// Expected trigger texts; nil = no postmortem.
    let triggers: [String]?
    /// Expected severity.
    var severity = "sev4"
    /// Expected finding keys in order, each with the evidence members that must match exactly.
    var findings: [(key: String, evidence: [String: JSONValue])] = []
    /// Expected action-item titles, in finding order.
    var actions: [String] = []
    /// Other deploys of the same events that must have no postmortem.
    var noPostmortem: [String] = []
    /// How many events must stay unattributed; nil = not checked.
    var unattributed: Int?
    /// The analysis configuration.
    var config = AnalysisConfig()
    /// What the reviewer-facing parts must say; nil = not checked.
    var review: ExpectedReview?

    var description: String { name }
}

/// What a postmortem must say beyond triggers, findings and actions. Every member is checked
/// exactly (an empty list means none, nil means absent).
struct ExpectedReview: Sendable {
    /// The commit.
    var commit: String?
    /// The rollback target: version and artifact.
    var rolledBackTo: (version: String?, artifact: String?)?
    /// Ruled-out series with their baseline, limit and peak, by name.
    var ruledOut: [(metric: String, baseline: Double, limit: Double, peak: Double)] = []
    /// Data-quality warnings as `kind metric`, in order.
    var dataQuality: [String] = []
    /// What went well: the summaries, in order.
    var wentWell: [String] = []
    /// Seconds from the problem's start to detection, and from detection to mitigation.
    var timeToDetect: Double?
    var timeToMitigate: Double?
    /// The impact statement.
    var impactStatement: String
    /// Every action item's due date, when pinned.
    var dueAt: String?
    /// Lines the Markdown must contain.
    var markdown: [String] = []
}

/// Shorthand for evidence numbers and strings.
func num(_ value: Double) -> JSONValue { .number(value) }
func str(_ value: String) -> JSONValue { .string(value) }

extension Scenario {
    /// This scenario for a deploy that recorded no gate result at all: plus one `gate_not_recorded`
    /// finding and action item per gate, in key order.
    func recordingNoGate(service: String = "checkout") -> Scenario {
        var pairs = Array(zip(findings, actions))
        for gate in ["ci", "canary", "soak"] {
            pairs.append(
                (
                    (key: "\(gate).gate_not_recorded", evidence: ["gate": str(gate), "recorded": .bool(false)]),
                    "Run the \(gate) gate on every deploy of \(service) and report its result"
                ))
        }
        pairs.sort { $0.0.key < $1.0.key }
        var copy = self
        copy.findings = pairs.map(\.0)
        copy.actions = pairs.map(\.1)
        return copy
    }
}
