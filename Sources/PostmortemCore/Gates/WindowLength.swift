import Foundation

/// "Onset after the gate window" — shared by canary and soak.
enum WindowLength {
    /// A window-too-short finding when the earliest onset came after `gate` finished.
    static func finding(_ input: GateAnalysisInput, gate: GateFinished, kind: FindingKind, area: FindingArea) -> Finding? {
        guard let first = input.earliestOnset, let onset = first.onset, let end = gate.finishedAt, onset > end else { return nil }
        let start = gate.startedAt ?? input.timeline.started?.startedAt ?? end
        let window = input.seconds(from: start, to: end)
        let offset = input.seconds(from: start, to: onset)
        let suggested = roundUpDuration(offset * input.config.windowSafetyFactor)
        let name = area.rawValue
        return Finding(
            kind: kind, area: area, metric: first.metric,
            summary: "\(first.metric) began degrading \(formatDuration(offset)) after the \(name) started, but the \(name) window was only \(formatDuration(window)).",
            fix: "Extend the \(name) window from \(formatDuration(window)) to at least \(formatDuration(suggested))",
            evidence: [
                "windowSeconds": .number(window), "onsetAfterStartSeconds": .number(offset),
                "suggestedWindowSeconds": .number(suggested), "metric": .string(first.metric),
            ])
    }
}
