import Foundation

/// The changed gate setting an action item proposes, with the evidence of the counterfactual
/// replay: when the changed gate would have failed the deploy, how much earlier than the
/// rollback, and how many of the service's recent healthy deploys it would have failed.
public struct ActionProposal: Sendable, Hashable {
    /// Which setting changes.
    public enum Setting: String, Sendable, Hashable, CaseIterable, Codable {
        /// The check's threshold.
        case threshold
        /// The gate's length, seconds.
        case window
        /// A new check on a metric the gate did not check; `proposed` is its threshold.
        case check
    }

    /// Which setting changes.
    public var setting: Setting
    /// The metric concerned (series name).
    public var metric: String
    /// Which gate.
    public var gate: Gate
    /// The setting as it was (nil for a new check).
    public var current: Double?
    /// The proposed value.
    public var proposed: Double
    /// When the changed gate would have failed the deploy (nil: it would not have).
    public var trippedAt: Date?
    /// Seconds from that trip to the rollback (or, without one, to the detection).
    public var leadSeconds: Double?
    /// Healthy deploys the changed gate would have failed.
    public var falseAlarms: Int
    /// Healthy deploys replayed (the "of N").
    public var healthyRuns: Int
    /// The smallest shift the gate's points could detect (metric unit), when known.
    public var detectableShift: Double?

    /// Creates a proposal.
    public init(
        setting: Setting, metric: String, gate: Gate, current: Double?, proposed: Double, trippedAt: Date?,
        leadSeconds: Double?,
        falseAlarms: Int, healthyRuns: Int, detectableShift: Double?
    ) {
        self.setting = setting
        self.metric = metric
        self.gate = gate
        self.current = current
        self.proposed = proposed
        self.trippedAt = trippedAt
        self.leadSeconds = leadSeconds
        self.falseAlarms = falseAlarms
        self.healthyRuns = healthyRuns
        self.detectableShift = detectableShift
    }

    /// The proposal as JSON.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "setting": .string(setting.rawValue), "metric": .string(metric), "gate": .string(gate.rawValue),
            "proposed": .number(proposed), "falseAlarms": .number(Double(falseAlarms)),
            "healthyRuns": .number(Double(healthyRuns)),
        ]
        fields["current"] = current.map { .number($0) }
        fields["trippedAt"] = trippedAt.map { .string(RFC3339.format($0)) }
        fields["leadSeconds"] = leadSeconds.map { .number($0) }
        fields["detectableShift"] = detectableShift.map { .number($0) }
        return .object(fields)
    }

    /// A proposal read back from its ``json`` serialized (as stored); nil when it is not one.
    public init?(serialized text: String) {
        guard let json = try? JSONParser.parse(Array(text.utf8), maxDepth: 4),
            let proposal = try? Self(reading: FieldReader(json, path: "", context: .storedDocument))
        else { return nil }
        self = proposal
    }

    /// The evidence in words, e.g. `With threshold 0.8 the canary would have failed at 14:07 UTC,
    /// 41 min before the rollback; 0 of 20 earlier healthy deploys would have failed.`
    public var sentence: String {
        let changed: String =
            switch setting {
            case .threshold: "With threshold \(formatNumber(proposed)) the \(gate.rawValue)"
            case .check: "A \(gate.rawValue) check at \(formatNumber(proposed))"
            case .window: "A \(formatDuration(proposed)) \(gate.rawValue)"
            }
        let trip =
            trippedAt.map {
                " would have failed at \(formatClock($0))"
                    + (leadSeconds.map { ", \(formatDuration($0)) before the rollback" } ?? "")
            }
            ?? " would not have failed this deploy"
        return changed + trip + "; " + GateChecks.price(falseAlarms, of: healthyRuns) + "."
    }
}
