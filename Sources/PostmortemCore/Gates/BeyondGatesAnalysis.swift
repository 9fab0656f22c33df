import Foundation

/// Beyond the gates: manual rollback, slow detection, out-of-band interventions.
enum BeyondGatesAnalysis {
    static func findings(_ input: GateAnalysisInput) -> [Finding] {
        var findings: [Finding] = []
        let onset = input.earliestOnset
        if let manual = input.timeline.rollbacks.first(where: { $0.mode == .manual }) {
            var evidence: [String: JSONValue] = ["rolledBackAt": .string(RFC3339.format(manual.rolledBackAt))]
            evidence["initiatedBy"] = manual.initiatedBy.map { .string($0) }
            let metric = onset?.metric ?? manual.triggerMetric
            findings.append(
                Finding(
                    kind: .manualRollback, area: .rollback, metric: metric,
                    summary:
                        "\(manual.initiatedBy ?? "A person") rolled back by hand: the automated rollback did not fire.",
                    fix: metric.map { "Add an automated rollback on \($0)" }
                        ?? "Add an automated rollback trigger for this failure",
                    evidence: evidence))
        }
        if let first = onset, let start = first.onset, let rollback = input.timeline.rolledBackAt {
            let took = input.seconds(from: start, to: rollback)
            let target = input.config.detectionTarget
            if took > target {
                findings.append(
                    Finding(
                        kind: .slowDetection, area: .rollback, metric: first.metric,
                        summary:
                            "\(formatDuration(took)) passed from the \(first.metric) onset to rollback; the target is \(formatDuration(target)).",
                        fix:
                            "Alert and roll back on \(first.metric) within \(formatDuration(target)) (took \(formatDuration(took)))",
                        evidence: [
                            "detectionSeconds": .number(took), "targetSeconds": .number(target),
                            "metric": .string(first.metric),
                        ]))
            }
        }
        for intervention in input.timeline.interventions {
            let kind = intervention.kind.rawValue
            var evidence: [String: JSONValue] = ["kind": .string(kind), "at": .string(RFC3339.format(intervention.at))]
            evidence["actor"] = intervention.actor.map { .string($0) }
            findings.append(
                Finding(
                    kind: .intervention, area: .process, qualifier: "\(kind)@\(RFC3339.format(intervention.at))",
                    summary:
                        "\(intervention.actor ?? "Someone") made an out-of-band \(kind.replacingOccurrences(of: "_", with: " "))"
                        + (intervention.description.map { ": \($0)" } ?? "."),
                    fix: "Make the \(kind.replacingOccurrences(of: "_", with: " ")) a reviewed step of the pipeline",
                    evidence: evidence))
        }
        return findings
    }
}
