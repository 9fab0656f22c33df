import Foundation

/// What every gate check looks at.
struct GateAnalysisInput {
    let timeline: DeployTimeline
    /// Contributing metrics only.
    let contributing: [MetricCorrelation]
    let config: AnalysisConfig
    /// The deploy's series by name (its service and environment).
    var series: [String: MetricSeries] = [:]
    /// Where the healthy runs come from.
    var history = HealthyHistory.empty
    /// The healthy deploys a changed rule is priced over (``HealthyHistory/deploys(before:limit:)``).
    var healthyDeploys: [DeployTimeline] = []

    /// How far a gate is replayed past its end: the rollback, else the first trigger.
    var horizon: Date? { timeline.rolledBackAt ?? Trigger.triggers(of: timeline).map(\.at).min() }

    /// The earliest onset among contributing metrics.
    var earliestOnset: MetricCorrelation? {
        contributing.filter { $0.onset != nil }.min { ($0.onset!, $0.metric) < ($1.onset!, $1.metric) }
    }

    /// Seconds from `date` to `later`, rounded to whole seconds.
    func seconds(from date: Date, to later: Date) -> Double { later.timeIntervalSince(date).rounded() }

    /// The gate's result when it ran and passed (the only case where it "did not catch" something).
    func passed(_ gate: Gate) -> GateFinished? {
        timeline.gates[gate].flatMap { $0.outcome == .passed ? $0 : nil }
    }
}

/// Finds the gaps in a deploy's gates and process, each with evidence numbers.
public struct GateAnalyzer: Sendable {
    /// Tunables.
    public var config: AnalysisConfig

    /// Creates an analyzer.
    public init(config: AnalysisConfig) {
        self.config = config
    }

    /// Findings for `timeline` given its metric correlations, sorted by key. The passed canary
    /// and soak gates are replayed on `series` (the deploy's) and priced over `history`.
    public func findings(
        for timeline: DeployTimeline, correlations: [MetricCorrelation], series: [MetricSeries] = [],
        history: HealthyHistory = .empty
    ) -> [Finding] {
        var input = GateAnalysisInput(
            timeline: timeline, contributing: correlations.filter(\.contributing), config: config)
        if let started = timeline.started {
            let own = series.filter { $0.service == started.service && $0.environment == started.environment }
            input.series = Dictionary(own.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        }
        input.history = history
        input.healthyDeploys = history.deploys(before: timeline, limit: config.healthyDeploys)
        let all =
            skippedOrBypassed(input) + notRecorded(input) + CIAnalysis.findings(input) + CanaryAnalysis.findings(input)
            + SoakAnalysis.findings(input) + BeyondGatesAnalysis.findings(input)
        return all.sorted { $0.key < $1.key }
    }

    /// When no gate reported anything, one finding per gate: the deploy shows no check at all.
    private func notRecorded(_ input: GateAnalysisInput) -> [Finding] {
        guard input.timeline.gates.isEmpty else { return [] }
        let service = input.timeline.started?.service ?? "this service"
        return Gate.allCases.map { gate in
            Finding(
                kind: .gateNotRecorded, area: FindingArea(rawValue: gate.rawValue)!,
                summary: "No gate recorded a result for this deploy: nothing shows that \(gate.rawValue) ran.",
                fix: "Run the \(gate.rawValue) gate on every deploy of \(service) and report its result",
                evidence: ["gate": .string(gate.rawValue), "recorded": .bool(false)])
        }
    }

    private func skippedOrBypassed(_ input: GateAnalysisInput) -> [Finding] {
        input.timeline.gates.values.compactMap { result -> Finding? in
            let gate = result.gate.rawValue
            let area = FindingArea(rawValue: gate)!
            switch result.outcome {
            case .skipped:
                return Finding(
                    kind: .gateSkipped, area: area, summary: "The \(gate) gate was skipped.",
                    fix: "Make the \(gate) gate mandatory for \(input.timeline.started?.service ?? "this service")",
                    evidence: ["gate": .string(gate), "outcome": .string("skipped")])
            case .bypassed:
                return Finding(
                    kind: .gateBypassed, area: area, summary: "The \(gate) gate was bypassed.",
                    fix: "Require a recorded approval and a follow-up check before bypassing the \(gate) gate",
                    evidence: ["gate": .string(gate), "outcome": .string("bypassed")])
            case .passed, .failed:
                return nil
            }
        }
    }
}
