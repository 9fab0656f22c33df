import Foundation

/// "Onset after the gate window" — shared by canary and soak.
enum WindowLength {
    /// A window-too-short finding when the earliest onset came after `gate` finished. When the
    /// gate checked that metric, the replay of its rule past the gate's end proves the suggested
    /// length (or the shortest that trips, if longer) would have failed it, when, and at what
    /// price.
    static func finding(_ input: GateAnalysisInput, gate: GateFinished, kind: FindingKind, area: FindingArea)
        -> Finding?
    {
        guard let first = input.earliestOnset, let onset = first.onset, let end = gate.finishedAt, onset > end else {
            return nil
        }
        let start = gate.startedAt ?? input.timeline.started?.startedAt ?? end
        let window = input.seconds(from: start, to: end)
        let offset = input.seconds(from: start, to: onset)
        let suggested = roundUpDuration(offset * input.config.windowSafetyFactor)
        let name = area.rawValue
        let replay = input.replay(gate, first)
        let proposal =
            gate.checks.contains { $0.metric == first.metricName }
            ? replay?.durationProposal(metric: first, gate: gate.gate, atLeast: suggested) : nil
        let evidence: [String: JSONValue] = [
            "windowSeconds": .number(window), "onsetAfterStartSeconds": .number(offset),
            "suggestedWindowSeconds": .number(suggested), "metric": .string(first.metric),
        ]
        return Finding(
            kind: kind, area: area, metric: first.metric,
            summary:
                "\(first.metric) began degrading \(formatDuration(offset)) after the \(name) started, but the \(name) window was only \(formatDuration(window))."
                + (proposal.map { " " + $0.sentence } ?? ""),
            fix:
                "Extend the \(name) window from \(formatDuration(window)) to at least \(formatDuration(proposal?.proposed ?? suggested))",
            evidence: (replay?.evidence(config: input.config, baseline: first.baseline) ?? [:]).merging(evidence) {
                _, own in own
            },
            proposal: proposal)
    }
}
