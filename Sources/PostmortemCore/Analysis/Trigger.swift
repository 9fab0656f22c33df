import Foundation

/// Why a deploy gets a postmortem. Every failure triggers.
public enum Trigger: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Automation rolled the deploy back.
    case rolledBackAutomatically
    /// A person rolled the deploy back.
    case rolledBackManually
    /// The deploy finished as failed.
    case deployFailed
    /// A gate failed.
    case gateFailed(Gate)
    /// Customers were impacted (even when the rollback was in time).
    case customerImpact(ImpactSeverity)
    /// A person intervened out of band.
    case intervention(InterventionKind)

    /// Stable text form, e.g. `rolled_back_manually`, `customer_impact:high`, `intervention:data_fix`.
    public var description: String {
        switch self {
        case .rolledBackAutomatically: "rolled_back_automatically"
        case .rolledBackManually: "rolled_back_manually"
        case .deployFailed: "deploy_failed"
        case .gateFailed(let g): "gate_failed:\(g.rawValue)"
        case .customerImpact(let s): "customer_impact:\(s.rawValue)"
        case .intervention(let k): "intervention:\(k.rawValue)"
        }
    }

    /// The trigger whose text form (``description``) is `text`, or nil when none is.
    public init?(description text: String) {
        let (kind, argument) =
            text.firstIndex(of: ":").map { (text[..<$0], String(text[text.index(after: $0)...])) } ?? (text[...], "")
        switch (kind, argument) {
        case ("rolled_back_automatically", ""): self = .rolledBackAutomatically
        case ("rolled_back_manually", ""): self = .rolledBackManually
        case ("deploy_failed", ""): self = .deployFailed
        case ("gate_failed", _):
            guard let gate = Gate(rawValue: argument) else { return nil }
            self = .gateFailed(gate)
        case ("customer_impact", _):
            guard let severity = ImpactSeverity(rawValue: argument) else { return nil }
            self = .customerImpact(severity)
        case ("intervention", _):
            guard let kind = InterventionKind(rawValue: argument) else { return nil }
            self = .intervention(kind)
        default: return nil
        }
    }

    /// Orders by text form (stable output).
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.description < rhs.description }

    /// The triggers of a timeline, sorted and unique, each with the earliest time it happened.
    ///
    /// A gate that failed and so stopped the change is the delivery process working: when no
    /// rollback, customer impact or intervention followed, neither the failed gate nor the failed
    /// deploy it caused is a trigger (a cancelled pipeline never is one).
    public static func triggers(of timeline: DeployTimeline) -> [TriggerOccurrence] {
        var found: [Trigger: Date] = [:]
        func note(_ t: Trigger, _ at: Date) { found[t] = min(found[t] ?? at, at) }
        for r in timeline.rollbacks {
            note(r.mode == .automatic ? .rolledBackAutomatically : .rolledBackManually, r.rolledBackAt)
        }
        let stoppedByGate =
            timeline.gates.values.contains { $0.outcome == .failed }
            && timeline.rollbacks.isEmpty && timeline.impacts.isEmpty && timeline.interventions.isEmpty
        if let f = timeline.finished, f.outcome == .failed, !stoppedByGate { note(.deployFailed, f.finishedAt) }
        for g in timeline.gates.values where g.outcome == .failed && !stoppedByGate {
            note(.gateFailed(g.gate), g.finishedAt ?? g.startedAt ?? timeline.started?.startedAt ?? .distantPast)
        }
        for i in timeline.impacts { note(.customerImpact(i.severity), i.startedAt) }
        for i in timeline.interventions { note(.intervention(i.kind), i.at) }
        return found.sorted { $0.key < $1.key }.map { TriggerOccurrence(trigger: $0.key, at: $0.value) }
    }
}

/// A trigger and when it first happened.
public struct TriggerOccurrence: Sendable, Hashable {
    /// The trigger.
    public var trigger: Trigger
    /// When it first happened.
    public var at: Date
}
