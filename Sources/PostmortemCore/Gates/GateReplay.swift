import Foundation

/// Why a passed canary or soak gate let one contributing metric through, proven: the rank-test
/// judgement of the gate window against the baseline (``Degradation``), the miss's cause
/// (``MissCause``), and the smallest changes of its rule that would have failed it
/// (``Counterfactual``), each priced over the healthy history. ``GateChecks`` and
/// ``WindowLength`` cite it in their findings.
struct GateReplay {
    /// Why the gate missed (nil: it failed, so it missed nothing).
    var cause: MissCause?
    /// The gate window against the baseline; nil when the window holds no point of the metric.
    var degradation: Degradation?
    /// The rule replayed: the check's, or for an unchecked metric a check at the correlation's limit.
    var rule: GateRule
    /// The smallest threshold change and its priced proposal (too loose, underpowered, not gated).
    var threshold: Counterfactual.ThresholdChange?
    /// The nearest lookback that trips (too loose, underpowered).
    var lookback: Counterfactual.LookbackChange?
    /// The shortest longer gate that trips (ended before onset, too loose, underpowered).
    var duration: Counterfactual.DurationChange?
    /// The regression's gate window and the metric's points.
    var regression: GateRun
    /// The healthy runs replayed.
    var healthy: [GateRun]
    /// The rollback, which leads are measured to.
    var rollback: Date?

    /// Healthy runs replayed.
    var healthyRuns: Int { healthy.count }

    /// The statistics and replay figures as finding evidence.
    func evidence(config: AnalysisConfig, baseline: Double) -> [String: JSONValue] {
        var evidence: [String: JSONValue] = [
            "healthyRuns": .number(Double(healthyRuns)),
            "gateModel": .string((config.gateEvaluation ?? GateEvaluation()).description),
            "gateModelAssumed": .bool(config.gateEvaluation == nil),
        ]
        evidence["missCause"] = cause.map { .string($0.rawValue) }
        if let d = degradation {
            evidence["pValue"] = .number(d.test.pValue)
            evidence["confidence"] = .number(1 - d.alpha)
            evidence["shift"] = .number(d.shift.shift)
            if d.shift.lower.isFinite, d.shift.upper.isFinite {
                evidence["shiftLower"] = .number(d.shift.lower)
                evidence["shiftUpper"] = .number(d.shift.upper)
            }
            evidence["baselinePoints"] = .number(Double(d.baselineCount))
            evidence["windowPoints"] = .number(Double(d.windowCount))
            evidence["noise"] = .number(d.noise)
            evidence["detectableShift"] = d.detectableShift.map { .number($0) }
            if let shift = d.detectableShift, baseline != 0 {
                evidence["detectableShiftPercent"] = .number(shift / abs(baseline) * 100)
            }
        }
        if let t = threshold {
            evidence["criticalThreshold"] = .number(t.critical)
            evidence["criticalTrippedAt"] = .string(RFC3339.format(t.trippedAtCritical))
            evidence["criticalFalseAlarms"] = .number(Double(t.falseAlarmsAtCritical))
        }
        if let l = lookback {
            evidence["lookbackProposedSeconds"] = .number(l.proposed)
            evidence["lookbackTrippedAt"] = .string(RFC3339.format(l.trippedAt))
            evidence["lookbackFalseAlarms"] = .number(Double(l.falseAlarms))
        }
        if let w = duration {
            evidence["windowProposedSeconds"] = .number(w.proposed)
            evidence["windowTrippedAt"] = .string(RFC3339.format(w.trippedAt))
            evidence["windowFalseAlarms"] = .number(Double(w.falseAlarms))
        }
        return evidence
    }

    /// The rank-test judgement in words, e.g. `A rank test of its 18 points against 60 baseline
    /// points finds them worse (p = 0.0012 at 95 % confidence; shift +1.2, 90 % interval
    /// [+0.8, +1.7]); its points could not detect a shift below +1.9.`
    var judgement: String? {
        guard let d = degradation else { return nil }
        let confidence = formatNumber((1 - d.alpha) * 100)
        var text =
            "A rank test of its \(d.windowCount) points against \(d.baselineCount) baseline points "
            + (d.significant ? "finds them worse" : "does not find them worse")
            + " (p = \(formatNumber(d.test.pValue)) at \(confidence) % confidence; shift \(signed(d.shift.shift))"
        if d.shift.lower.isFinite, d.shift.upper.isFinite {
            text +=
                ", \(formatNumber((1 - 2 * d.alpha) * 100)) % interval [\(signed(d.shift.lower)), \(signed(d.shift.upper))]"
        }
        text += ")"
        if let shift = d.detectableShift {
            let sign = d.direction == .above ? shift : -shift
            text += "; with \(d.windowCount) points it could not detect a shift smaller than \(signed(sign))"
        } else {
            text += "; with \(d.windowCount) points it could detect no shift at all"
        }
        return text + "."
    }

    /// The threshold the fix proposes: the tightest one the healthy history accepts, else the
    /// correlation's limit when the replay trips with it; nil when neither would have failed the gate.
    func thresholdProposal(metric: MetricCorrelation, gate: Gate, setting: ActionProposal.Setting) -> ActionProposal? {
        let current = setting == .check ? nil : rule.threshold
        if let priced = threshold?.proposed {
            return proposal(
                metric, gate, setting, current: current, proposed: priced.threshold, trippedAt: priced.trippedAt,
                falseAlarms: priced.falseAlarms)
        }
        let atLimit = rule.with(threshold: metric.limit)
        guard let trip = atLimit.trip(in: regression.evaluations(of: atLimit)) else { return nil }
        return proposal(
            metric, gate, setting, current: current, proposed: metric.limit, trippedAt: trip.at,
            falseAlarms: Counterfactual.falseAlarms(atLimit, healthy: healthy))
    }

    /// The longer gate the fix proposes, when the replay found one that trips: `atLeast` (the
    /// length suggested with a safety margin) or the shortest that trips, whichever is longer,
    /// with the healthy runs replayed over that length.
    func durationProposal(metric: MetricCorrelation, gate: Gate, atLeast suggested: Double) -> ActionProposal? {
        guard let duration else { return nil }
        let length = max(duration.proposed, suggested)
        let falseAlarms =
            length == duration.proposed
            ? duration.falseAlarms
            : healthy.filter {
                rule.trip(in: $0.evaluations(of: rule, until: $0.start.addingTimeInterval(length))) != nil
            }.count
        return proposal(
            metric, gate, .window, current: duration.current, proposed: length, trippedAt: duration.trippedAt,
            falseAlarms: falseAlarms)
    }

    private func proposal(
        _ metric: MetricCorrelation, _ gate: Gate, _ setting: ActionProposal.Setting, current: Double?,
        proposed: Double, trippedAt: Date,
        falseAlarms: Int
    ) -> ActionProposal {
        ActionProposal(
            setting: setting, metric: metric.metric, gate: gate, current: current, proposed: proposed,
            trippedAt: trippedAt,
            leadSeconds: rollback.map { $0.timeIntervalSince(trippedAt) }, falseAlarms: falseAlarms,
            healthyRuns: healthyRuns,
            detectableShift: degradation?.detectableShift)
    }

    private func signed(_ value: Double) -> String { (value > 0 ? "+" : "") + formatNumber(value) }
}

extension GateAnalysisInput {
    /// Replays `gate`'s rule for `metric` (contributing), or nil when the gate's window or the
    /// metric's series is unknown.
    func replay(_ gate: GateFinished, _ metric: MetricCorrelation) -> GateReplay? {
        guard let deployStart = timeline.started?.startedAt, let series = series[metric.metric] else { return nil }
        let start = gate.startedAt ?? deployStart
        guard let end = gate.finishedAt ?? horizon else { return nil }
        let evaluation = config.gateEvaluation ?? GateEvaluation()
        let check = gate.checks.first { $0.metric == metric.metricName }
        let rule =
            check.map { evaluation.rule(metric: $0.metric, threshold: $0.threshold, direction: $0.direction) }
            ?? evaluation.rule(metric: metric.metricName, threshold: metric.limit, direction: metric.direction)
        // Only the points the replay can read: from the baseline (or the earliest lookback) to
        // the horizon, found by binary search, so a long series costs its deploy's share only.
        let baselineStart = deployStart.addingTimeInterval(-config.baselineWindow)
        let earliest = min(baselineStart, start.addingTimeInterval(-max(rule.lookback, end.timeIntervalSince(start))))
        let relevant = Array(series.points.within(earliest...max(earliest, end, horizon ?? end)))
        let points = Correlator.worstPerTimestamp(relevant, direction: metric.direction)
        let baseline = points.filter { $0.at >= baselineStart && $0.at < deployStart }.map(\.value)
        let window = points.filter { $0.at >= start && $0.at <= end }.map(\.value)
        let degradation =
            window.isEmpty || baseline.isEmpty
            ? nil : try? Degradation(baseline: baseline, window: window, direction: metric.direction)
        let cause = MissCause.classify(
            gate: gate, metric: metric.metricName, onset: metric.onset, degradation: degradation)
        let regression = GateRun(points: relevant, direction: rule.direction, start: start, end: end)
        let healthy = history.runs(
            of: gate.gate, series: metric.metric, direction: rule.direction, deploys: healthyDeploys, config: config)
        var replay = GateReplay(
            cause: cause, degradation: degradation, rule: rule, regression: regression, healthy: healthy,
            rollback: timeline.rolledBackAt)
        let longer = { () -> Counterfactual.DurationChange? in
            guard let horizon,
                let change = Counterfactual.duration(rule, regression: regression, horizon: horizon, healthy: healthy),
                change.proposed > change.current
            else { return nil }
            return change
        }
        switch cause {
        case .tooLoose?, .underpowered?:
            replay.threshold = Counterfactual.threshold(rule, regression: regression, healthy: healthy)
            replay.lookback = Counterfactual.lookback(rule, regression: regression, healthy: healthy)
            replay.duration = longer()
        case .endedBeforeOnset?:
            replay.duration = longer()
        case .metricNotGated?:
            replay.threshold = Counterfactual.threshold(rule, regression: regression, healthy: healthy)
        case .erroredTreatedAsPass?, .bypassed?, nil:
            break
        }
        return replay
    }
}
