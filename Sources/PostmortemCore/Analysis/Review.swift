import Foundation

/// What a rollback restored.
public struct RollbackTarget: Sendable, Hashable {
    /// The version rolled back to (`toVersion`), when the rollback says.
    public var version: String?
    /// The artifact rolled back to (CDEvents `artifactId`), when the rollback says.
    public var artifact: String?

    /// The target of the earliest rollback of `timeline` that names one, or nil.
    init?(_ timeline: DeployTimeline) {
        guard let r = timeline.rollbacks.first(where: { $0.toVersion != nil || $0.toArtifact != nil }) else {
            return nil
        }
        version = r.toVersion
        artifact = r.toArtifact
    }
}

/// What kind of doubt a data-quality warning raises.
public enum DataQualityKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// Too few baseline samples: the series could not be judged.
    case insufficientBaseline = "insufficient_baseline"
    /// Baseline samples but none after the deploy started: the series could not be judged.
    case noSamplesInWindow = "no_samples_in_window"
    /// A stretch without samples longer than `maxSampleGap`: a breach could hide in it.
    case sampleGap = "sample_gap"
    /// No SLO or configuration says which side of the series is bad: it was inferred.
    case assumedDirection = "assumed_direction"
}

/// A reason to trust the analysis of one series less, with its numbers.
public struct DataQualityWarning: Sendable, Hashable {
    /// Kind of doubt.
    public var kind: DataQualityKind
    /// The series (``MetricCorrelation/metric``).
    public var metric: String
    /// What is wrong, with the numbers.
    public var summary: String
    /// The numbers by name.
    public var evidence: [String: JSONValue]
}

/// What kind of thing went well.
public enum SuccessKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// A gate failed and so caught the change.
    case gateCaught = "gate_caught"
    /// The rollback came within the detection target of the problem's start (earliest onset or customer impact).
    case timelyRollback = "timely_rollback"
    /// Automation rolled back without waiting for a person (no onset or impact to time it against).
    case automaticRollback = "automatic_rollback"
    /// Customer impact ended within the detection target of its start.
    case impactContained = "impact_contained"
}

/// Something in the delivery process that worked and should be kept.
public struct Success: Sendable, Hashable {
    /// Kind.
    public var kind: SuccessKind
    /// What worked, with the numbers.
    public var summary: String
    /// The numbers by name.
    public var evidence: [String: JSONValue]
}

/// How long the problem took to be noticed and ended, over all signals (metrics, customer
/// reports, gates, rollbacks); customer-facing times are in ``ImpactSummary``.
public struct ResponseTimes: Sendable, Hashable {
    /// When the problem began: the earliest sustained metric onset or customer impact start.
    public var problemStartedAt: Date?
    /// When it was first noticed: the earliest failed gate, customer report detection, rollback or
    /// failed deploy at or after the start (the earliest of these when the start is unknown).
    public var detectedAt: Date?
    /// When it was mitigated: the first rollback at or after the detection.
    public var mitigatedAt: Date?

    /// Seconds from the problem's start to its detection, when both are known.
    public var timeToDetectSeconds: Double? {
        guard let problemStartedAt, let detectedAt else { return nil }
        return detectedAt.timeIntervalSince(problemStartedAt)
    }

    /// Seconds from detection to mitigation, when both are known.
    public var timeToMitigateSeconds: Double? {
        guard let detectedAt, let mitigatedAt else { return nil }
        return mitigatedAt.timeIntervalSince(detectedAt)
    }
}

/// The parts of a postmortem a reviewer asks for beyond the gaps: metrics ruled out, data
/// quality, what went well, response times and the impact statement.
enum Review {
    /// Correlations a postmortem can rely on: judged (enough baseline, samples after the start).
    static func judged(_ m: MetricCorrelation, config: AnalysisConfig) -> Bool {
        m.baselinePoints >= config.minBaselinePoints && m.observedPoints > 0
    }

    /// Series that had samples near the deploy, were judged and did not degrade.
    static func ruledOut(_ correlations: [MetricCorrelation], config: AnalysisConfig) -> [MetricCorrelation] {
        correlations.filter { !$0.contributing && judged($0, config: config) }
    }

    /// Warnings, by series then kind. A series with no sample near the deploy is not about it and gets none.
    static func dataQuality(_ correlations: [MetricCorrelation], config: AnalysisConfig) -> [DataQualityWarning] {
        var warnings: [DataQualityWarning] = []
        for m in correlations where m.baselinePoints + m.observedPoints > 0 {
            func warn(_ kind: DataQualityKind, _ summary: String, _ evidence: [String: JSONValue]) {
                warnings.append(
                    DataQualityWarning(
                        kind: kind, metric: m.metric, summary: "\(m.metric): \(summary)", evidence: evidence))
            }
            if m.observedPoints == 0 {
                warn(
                    .noSamplesInWindow, "no sample after the deploy started, so it was not judged.",
                    ["observedPoints": .number(0), "baselinePoints": .number(Double(m.baselinePoints))])
            } else if m.baselinePoints < config.minBaselinePoints {
                warn(
                    .insufficientBaseline,
                    "\(m.baselinePoints) baseline sample(s) of the \(config.minBaselinePoints) needed, so it was not judged.",
                    [
                        "baselinePoints": .number(Double(m.baselinePoints)),
                        "minimumPoints": .number(Double(config.minBaselinePoints)),
                    ])
            }
            if let gap = m.largestGap {
                warn(
                    .sampleGap,
                    "no sample for \(formatDuration(gap.seconds)) from \(RFC3339.format(gap.from)) to \(RFC3339.format(gap.to)); "
                        + "a breach could hide in it.",
                    [
                        "gapSeconds": .number(gap.seconds), "from": .string(RFC3339.format(gap.from)),
                        "to": .string(RFC3339.format(gap.to)), "maxGapSeconds": .number(config.maxSampleGap),
                    ])
            }
            if m.directionSource == .inferred && judged(m, config: config) {
                warn(
                    .assumedDirection,
                    "no SLO or configured direction says which side is bad; inferred \(m.direction.rawValue) "
                        + "from its change (\(formatNumber(m.baseline)) to \(formatNumber(m.peak)))",
                    [
                        "direction": .string(m.direction.rawValue), "baseline": .number(m.baseline),
                        "peak": .number(m.peak),
                    ])
            }
        }
        return warnings
    }

    /// What worked: gates that failed and so caught the change, a rollback within the detection
    /// target of the problem's start (or, with no start known, an automatic one), customer impact
    /// contained within the detection target. A late rollback is not a success.
    static func wentWell(
        _ timeline: DeployTimeline, contributing: [MetricCorrelation], impact: ImpactSummary?, config: AnalysisConfig
    ) -> [Success] {
        var successes: [Success] = []
        for gate in Gate.allCases {
            guard let result = timeline.gates[gate], result.outcome == .failed else { continue }
            let failed = result.checks.filter { $0.passed == false }
            let checks = failed.map { c in
                "\(c.metric)" + (c.observed.map { " at \(formatNumber($0))" } ?? "")
                    + " against \(formatNumber(c.threshold))"
            }
            successes.append(
                Success(
                    kind: .gateCaught,
                    summary: "The \(gate.rawValue) gate failed and stopped the change"
                        + (checks.isEmpty ? "." : ": its check on \(checks.joined(separator: ", ")) failed."),
                    evidence: [
                        "gate": .string(gate.rawValue), "failedChecks": .array(failed.map { .string($0.metric) }),
                    ]))
        }
        let target = config.detectionTarget
        // The problem's start: the earliest onset, or customer impact when it began first.
        let starts =
            contributing.compactMap { m in m.onset.map { (at: $0, what: "the \(m.metric) onset") } }
            + [impact.map { (at: $0.startedAt, what: "customer impact began") }].compactMap { $0 }
        let start = starts.min { ($0.at, $0.what) < ($1.at, $1.what) }
        if let rollback = timeline.rollbacks.first {
            let who = rollback.mode == .automatic ? "Automation" : (rollback.initiatedBy ?? "A person")
            if let start, rollback.rolledBackAt >= start.at,
                rollback.rolledBackAt.timeIntervalSince(start.at).rounded() <= target
            {
                let took = rollback.rolledBackAt.timeIntervalSince(start.at).rounded()
                successes.append(
                    Success(
                        kind: .timelyRollback,
                        summary:
                            "\(who) rolled back \(formatDuration(took)) after \(start.what), within the \(formatDuration(target)) target.",
                        evidence: [
                            "mode": .string(rollback.mode.rawValue), "secondsAfterStart": .number(took),
                            "targetSeconds": .number(target),
                        ]))
            } else if start == nil, rollback.mode == .automatic {
                successes.append(
                    Success(
                        kind: .automaticRollback,
                        summary:
                            "Automation rolled the deploy back at \(RFC3339.format(rollback.rolledBackAt)) without waiting for a person.",
                        evidence: ["rolledBackAt": .string(RFC3339.format(rollback.rolledBackAt))]))
            }
        }
        if let impact, let duration = impact.durationSeconds, duration.rounded() <= target {
            successes.append(
                Success(
                    kind: .impactContained,
                    summary:
                        "Customer impact lasted \(formatDuration(duration)): the rollback ended it within the \(formatDuration(target)) target.",
                    evidence: ["durationSeconds": .number(duration), "targetSeconds": .number(target)]))
        }
        return successes
    }

    /// Response times over every signal of `timeline`.
    static func responseTimes(_ timeline: DeployTimeline, contributing: [MetricCorrelation], impact: ImpactSummary?)
        -> ResponseTimes
    {
        let start = (contributing.compactMap(\.onset) + [impact?.startedAt].compactMap { $0 }).min()
        let failedGates = timeline.gates.values.filter { $0.outcome == .failed }.compactMap {
            $0.finishedAt ?? $0.startedAt
        }
        let failedFinish = timeline.finished.flatMap { $0.outcome == .failed ? $0.finishedAt : nil }
        let signals =
            failedGates + timeline.impacts.compactMap(\.detectedAt) + timeline.rollbacks.map(\.rolledBackAt)
            + [failedFinish].compactMap { $0 }
        let detected = start.flatMap { s in signals.filter { $0 >= s }.min() } ?? (start == nil ? signals.min() : nil)
        let mitigated = detected.flatMap { d in timeline.rollbacks.map(\.rolledBackAt).filter { $0 >= d }.min() }
        return ResponseTimes(problemStartedAt: start, detectedAt: detected, mitigatedAt: mitigated)
    }

    /// One or two sentences: who was hurt and for how long, else what degraded.
    static func impactStatement(impact: ImpactSummary?, contributing: [MetricCorrelation], rolledBack: Bool) -> String {
        let degraded = contributing.map { m in
            let unit = m.unit.map { " \($0)" } ?? ""
            return "\(m.metric) went from \(formatNumber(m.baseline))\(unit) to \(formatNumber(m.peak))\(unit)"
                + (m.degradedSeconds.map { " for \(formatDuration($0))" } ?? "")
        }
        let metrics = degraded.isEmpty ? "" : " Degraded: " + degraded.joined(separator: "; ") + "."
        guard let impact else {
            return "No customer impact was reported."
                + (degraded.isEmpty ? " No metric degraded beyond its baseline." : metrics)
        }
        let what = impact.what.map { ": \($0)" } ?? ""
        let howLong =
            impact.durationSeconds.map { " for \(formatDuration($0)), until the rollback" }
            ?? (rolledBack ? ", not ended by the rollback" : ", not ended by a rollback")
        return "Customers were impacted (\(impact.severity.rawValue))\(what)\(howLong)." + metrics
    }
}
