import Foundation

/// Turns a deploy timeline and its metrics into a postmortem, or none for a healthy deploy.
public struct PostmortemAnalyzer: Sendable {
    /// Tunables.
    public var config: AnalysisConfig

    /// Creates an analyzer with `config`.
    public init(config: AnalysisConfig = AnalysisConfig()) {
        self.config = config
    }

    /// The stable postmortem ID of a deploy.
    public static func postmortemId(deployId: String) -> String { StableID.uuid("postmortem|\(deployId)") }

    /// The postmortem of `timeline`, or nil when nothing triggered or the deploy's start is unknown.
    /// Its passed gates are replayed on `metrics`, and changed rules priced over the
    /// `healthyDeploys` most recent healthy deploys of `history` before it.
    public func analyze(_ timeline: DeployTimeline, metrics: [MetricSeries], history: HealthyHistory = .empty)
        -> Postmortem?
    {
        let triggers = Trigger.triggers(of: timeline)
        guard let started = timeline.started, let detectedAt = triggers.map(\.at).min() else { return nil }
        let correlations = Correlator(config: config).correlate(timeline, series: metrics)
        let contributing = correlations.filter(\.contributing)
        let impact = ImpactSummary(timeline)
        let severity = config.severityPolicy.severity(
            of: triggers.map(\.trigger), contributing: contributing, impact: impact)
        let findings = GateAnalyzer(config: config).findings(
            for: timeline, correlations: correlations, series: metrics, history: history)
        let id = Self.postmortemId(deployId: timeline.deployId)
        let planner = ActionItemPlanner(config: config)
        let items = planner.plan(
            findings: findings, postmortemId: id, timeline: timeline, severity: severity, detectedAt: detectedAt)
        var links: [String: String] = [:]
        links["pipeline"] = started.pipelineUrl
        links["ciRun"] = timeline.gates[.ci]?.ci?.runUrl
        links["incident"] = timeline.impacts.compactMap(\.incidentUrl).first
        let dataQuality = Review.dataQuality(correlations, config: config)
        return Postmortem(
            id: id, deployId: timeline.deployId, service: started.service, environment: started.environment,
            artifact: started.artifact, commit: started.commit, owner: planner.owner(of: started),
            gates: timeline.gates.mapValues(\.outcome), impact: impact,
            impactStatement: Review.impactStatement(
                impact: impact, contributing: contributing, rolledBack: !timeline.rollbacks.isEmpty),
            response: Review.responseTimes(timeline, contributing: contributing, impact: impact),
            triggers: triggers, severity: severity, status: .open, detectedAt: detectedAt,
            rolledBackAt: timeline.rolledBackAt,
            rollbackTarget: RollbackTarget(timeline),
            assumptions: dataQuality.filter { $0.kind == .assumedDirection }.map(\.summary)
                + gateModelAssumption(findings),
            dataQuality: dataQuality,
            contributingMetrics: contributing, ruledOutMetrics: Review.ruledOut(correlations, config: config),
            wentWell: Review.wentWell(timeline, contributing: contributing, impact: impact, config: config),
            findings: findings, actionItems: items,
            timeline: TimelineNarrative.entries(timeline, contributing: contributing), links: links)
    }

    /// The replay's model of how gates evaluate, when a finding replayed a gate without it
    /// being configured (``AnalysisConfig/gateEvaluation``).
    private func gateModelAssumption(_ findings: [Finding]) -> [String] {
        guard config.gateEvaluation == nil, findings.contains(where: { $0.evidence["gateModel"] != nil }) else {
            return []
        }
        return [
            "The gate replay assumed how the gates evaluate their checks, which gate events do not say: "
                + GateEvaluation().description + "."
        ]
    }
}
