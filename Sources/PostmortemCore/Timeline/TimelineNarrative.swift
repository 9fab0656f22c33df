import Foundation

/// The human-readable timeline of a deploy, in time order.
enum TimelineNarrative {
    static func entries(_ timeline: DeployTimeline, contributing: [MetricCorrelation]) -> [TimelineEntry] {
        var entries: [TimelineEntry] = []
        if let s = timeline.started {
            let version = s.artifact?.version.map { " version \($0)" } ?? ""
            entries.append(
                TimelineEntry(
                    at: s.startedAt,
                    text: deployStartedPrefix(timeline.deployId) + "\(s.service)\(version) to \(s.environment) started")
            )
        }
        for g in timeline.gates.values {
            if let start = g.startedAt {
                entries.append(TimelineEntry(at: start, text: gateStarted(g.gate)))
            }
            if let end = g.finishedAt {
                let traffic = g.trafficPercent.map { " at \(formatNumber($0))% traffic" } ?? ""
                entries.append(TimelineEntry(at: end, text: gateFinished(g.gate, g.outcome) + traffic))
            }
        }
        for m in contributing {
            if let onset = m.onset {
                entries.append(
                    TimelineEntry(
                        at: onset,
                        text:
                            "\(m.metric) began breaching \(formatNumber(m.limit)) (baseline \(formatNumber(m.baseline)))"
                    ))
            }
        }
        for i in timeline.interventions {
            entries.append(
                TimelineEntry(
                    at: i.at,
                    text: "\(i.actor ?? "Someone") intervened: \(i.kind.rawValue)"
                        + (i.description.map { " — \($0)" } ?? "")))
        }
        for i in timeline.impacts {
            entries.append(
                TimelineEntry(
                    at: i.startedAt,
                    text: "Customer impact (\(i.severity.rawValue)) began" + (i.description.map { ": \($0)" } ?? "")))
        }
        for r in timeline.rollbacks {
            entries.append(
                TimelineEntry(
                    at: r.rolledBackAt,
                    text: "Rolled back (\(r.mode.rawValue))" + (r.initiatedBy.map { " by \($0)" } ?? "")
                        + (r.reason.map { ": \($0)" } ?? "")))
        }
        if let f = timeline.finished {
            entries.append(
                TimelineEntry(
                    at: f.finishedAt, text: "Deploy \(f.outcome.rawValue)" + (f.reason.map { ": \($0)" } ?? "")))
        }
        return entries.sorted { ($0.at, $0.text) < ($1.at, $1.text) }
    }

    /// How the entry of a deploy's start begins (the charts find the start by it).
    static func deployStartedPrefix(_ deployId: String) -> String { "Deploy \(deployId) of " }

    /// The entry of a gate's start.
    static func gateStarted(_ gate: Gate) -> String { "\(gate.rawValue) gate started" }

    /// How the entry of a gate's finish begins (the traffic share may follow).
    static func gateFinished(_ gate: Gate, _ outcome: GateOutcome) -> String {
        "\(gate.rawValue) gate \(outcome.rawValue)"
    }
}
