import Foundation

extension MetricTimelineChart {
    /// The chart of one metric of a postmortem (a contributing one, or one ruled out), from what
    /// the postmortem holds — nothing is analyzed again:
    /// - the band from the baseline median to the breach limit;
    /// - the canary and soak windows, from the postmortem's timeline;
    /// - markers: the deploy start, the metric's onset, the rollback, and where each changed gate
    ///   the findings propose would have failed the deploy;
    /// - lines: the threshold of each gate check that let the regression through, and each
    ///   proposed threshold or check with its trip point; a proposed longer gate is drawn as a
    ///   dashed window;
    /// - the summary: what the metric did, when, and what each gate did and would have done.
    ///
    /// `points` are the series' samples (``MetricCorrelation/metric`` names it, labels included):
    /// pass those from the baseline start to the end of the observation window; all finite ones
    /// are drawn.
    public static func forContributingMetric(
        _ metric: MetricCorrelation, of postmortem: Postmortem, points: [MetricPoint]
    ) -> MetricTimelineChart {
        let moments = DeployMoments(postmortem)
        var chart = MetricTimelineChart(
            title: "\(metric.metric) around deploy \(postmortem.deployId)", metric: metric.metric, unit: metric.unit,
            points: points,
            band: Band(label: "baseline to limit", low: metric.baseline, high: metric.limit))
        for gate in [Gate.canary, .soak] {
            guard let window = moments.window(of: gate) else { continue }
            chart.windows.append(
                Window(label: "\(gate.rawValue) (\(window.outcome.rawValue))", start: window.start, end: window.end))
        }
        if let start = moments.deployStart { chart.markers.append(Marker(label: "deploy", at: start, kind: .deploy)) }
        if let onset = metric.onset { chart.markers.append(Marker(label: "onset", at: onset, kind: .onset)) }
        if let rollback = postmortem.rolledBackAt {
            chart.markers.append(Marker(label: "rollback", at: rollback, kind: .rollback))
        }
        let findings = postmortem.findings.filter { $0.metric == metric.metric }
        for finding in findings {
            if let threshold = configuredThreshold(finding) {
                chart.thresholds.append(
                    Threshold(label: "\(finding.area.rawValue) threshold", value: threshold, kind: .configured))
            }
            guard let proposal = finding.proposal else { continue }
            let gate = proposal.gate.rawValue
            switch proposal.setting {
            case .threshold, .check:
                chart.thresholds.append(
                    Threshold(
                        label: proposal.setting == .check ? "\(gate) check at" : "\(gate) would fail at",
                        value: proposal.proposed, trippedAt: proposal.trippedAt, kind: .counterfactual))
            case .window:
                if let start = moments.window(of: proposal.gate)?.start {
                    chart.windows.append(
                        Window(
                            label: "\(gate) of \(formatDuration(proposal.proposed)) (proposed)", start: start,
                            end: start.addingTimeInterval(proposal.proposed), kind: .proposed))
                }
            }
            if let trip = proposal.trippedAt {
                // Named by the change, so two proposals for one gate (a threshold, a length) differ.
                let change =
                    proposal.setting == .window
                    ? "\(formatDuration(proposal.proposed)) \(gate)" : "\(gate) at \(formatNumber(proposal.proposed))"
                chart.markers.append(Marker(label: "\(change) would fail", at: trip, kind: .trip))
            }
        }
        chart.summary = summary(metric, postmortem: postmortem, deployStart: moments.deployStart, findings: findings)
        return chart
    }

    /// The threshold of the gate check a finding says let the regression through.
    private static func configuredThreshold(_ finding: Finding) -> Double? {
        guard finding.kind == .canaryThresholdTooLoose || finding.kind == .soakThresholdTooLoose,
            case .number(let value)? = finding.evidence["threshold"]
        else { return nil }
        return value
    }

    /// The key facts in words, e.g. `latency_p99_ms rose from a baseline of 100 ms to a peak of
    /// 200 ms; it breached 120 ms from 10:02 UTC, 2 min after the deploy started. The deploy was
    /// rolled back at 10:08 UTC, 6 min after the onset. The canary threshold 300 ms did not trip.
    /// With threshold 150 the canary would have failed at 10:02 UTC, …`
    private static func summary(
        _ m: MetricCorrelation, postmortem: Postmortem, deployStart: Date?, findings: [Finding]
    ) -> String {
        let q = { SVGText.quantity($0, unit: m.unit) }
        var text: String
        if m.contributing {
            text =
                "\(m.metric) \(m.direction == .above ? "rose" : "fell") from a baseline of \(q(m.baseline)) "
                + "to \(m.direction == .above ? "a peak" : "a low") of \(q(m.peak))"
        } else {
            text =
                "\(m.metric) stayed within its breach limit of \(q(m.limit)) (baseline \(q(m.baseline)), worst \(q(m.peak)))"
        }
        if let onset = m.onset {
            text += "; it breached \(q(m.limit)) from \(formatClock(onset))"
            if let start = deployStart {
                let offset = onset.timeIntervalSince(start)
                text += ", \(formatDuration(abs(offset))) \(offset >= 0 ? "after" : "before") the deploy started"
            }
        }
        text += "."
        if let rollback = postmortem.rolledBackAt {
            text += " The deploy was rolled back at \(formatClock(rollback))"
            if let onset = m.onset, rollback >= onset {
                text += ", \(formatDuration(rollback.timeIntervalSince(onset))) after the onset"
            }
            text += "."
        }
        for finding in findings {
            let gate = finding.area.rawValue
            switch finding.kind {
            case .canaryThresholdTooLoose, .soakThresholdTooLoose:
                text += configuredThreshold(finding).map { " The \(gate) threshold \(q($0)) did not trip." } ?? ""
            case .canaryMetricNotChecked, .soakMetricNotChecked:
                text += " The \(gate) did not check it."
            case .canaryWindowTooShort, .soakWindowTooShort:
                text += " The \(gate) ended before the onset."
            default:
                continue
            }
            text += finding.proposal.map { " " + $0.sentence } ?? ""
        }
        return text
    }
}

/// When the deploy started and each gate ran, read back from a postmortem's timeline (the
/// entries ``TimelineNarrative`` writes).
struct DeployMoments {
    /// When the deploy started.
    private(set) var deployStart: Date?
    private var starts: [Gate: Date] = [:]
    private var finishes: [Gate: (at: Date, outcome: GateOutcome)] = [:]

    init(_ postmortem: Postmortem) {
        let startPrefix = TimelineNarrative.deployStartedPrefix(postmortem.deployId)
        for entry in postmortem.timeline {
            if deployStart == nil, entry.text.hasPrefix(startPrefix), entry.text.hasSuffix(" started") {
                deployStart = entry.at
                continue
            }
            for gate in Gate.allCases {
                if entry.text == TimelineNarrative.gateStarted(gate) { starts[gate] = entry.at }
                for outcome in GateOutcome.allCases {
                    let finished = TimelineNarrative.gateFinished(gate, outcome)
                    if entry.text == finished || entry.text.hasPrefix(finished + " at ") {
                        finishes[gate] = (entry.at, outcome)
                    }
                }
            }
        }
    }

    /// The gate's window and outcome when it finished; a gate without a start time started with
    /// the deploy (as the gate analysis assumes).
    func window(of gate: Gate) -> (start: Date, end: Date, outcome: GateOutcome)? {
        guard let finish = finishes[gate], let start = starts[gate] ?? deployStart else { return nil }
        return (start, finish.at, finish.outcome)
    }
}
