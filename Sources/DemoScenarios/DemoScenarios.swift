import Foundation

/// Realistic input events for five deploy stories, for `make demo` and end-to-end tests.
///
/// Every scenario has its own service (in environment `prod`) so the scenarios do not interfere, and its
/// metric events carry no deploy ID: they are attributed by service and environment.
public enum DemoScenarios {
    /// One deploy story: its JSON lines and what analyzing them must produce.
    public struct Scenario: Sendable, Hashable {
        /// Short name, e.g. `canary-too-loose`.
        public var name: String
        /// What the story shows.
        public var summary: String
        /// The deploy the story is about.
        public var deployId: String
        /// One structured CloudEvents 1.0 JSON document per element.
        public var events: [String]
        /// Expected trigger texts (`Trigger.description`), sorted; empty when no postmortem opens.
        public var expectedTriggers: [String]
        /// Expected finding kinds (`FindingKind` raw values), sorted and unique.
        public var expectedFindingKinds: [String]
        /// Whether the deploy gets a postmortem.
        public var opensPostmortem: Bool
        /// Topic of each event: `deploys`, `rollbacks` or `metrics`.
        public var topicOfEach: [String]
    }

    /// The five scenarios, every event at least two minutes before `now` (whole minutes) and no earlier than
    /// `now` − 3 h. The same `now` always gives the same output.
    public static func all(endingAt now: Date) -> [Scenario] {
        let anchor = (now.timeIntervalSince1970 / 60).rounded(.down) * 60 - 120
        let start = Date(timeIntervalSince1970: anchor - 100 * 60)
        return [
            healthy(start), canaryTooLoose(start), soakTooShort(start), manualRollbackWithImpact(start),
            outOfBandDataFix(start),
        ]
    }

    /// `count` failing deploys for load and convergence tests: copies of the four failing
    /// stories, each with its own service and deploy ID (suffix `-<index>`), and its own noise.
    /// The rollback of every third copy of the canary and manual-rollback stories names no
    /// deploy, so with the soak story (never) and the customer-impact events (never) more than
    /// a third of the deploys need attribution.
    public static func fleet(count: Int, endingAt now: Date) -> [Scenario] {
        let anchor = (now.timeIntervalSince1970 / 60).rounded(.down) * 60 - 120
        let start = Date(timeIntervalSince1970: anchor - 100 * 60)
        return (0..<count).map { index in
            let copy = Copy(suffix: "-\(index)", seed: UInt64(index) * 16, rollbackNamesDeploy: index % 3 != 0)
            switch index % 4 {
            case 0: return canaryTooLoose(start, copy)
            case 1: return soakTooShort(start, copy)
            case 2: return manualRollbackWithImpact(start, copy)
            default: return outOfBandDataFix(start, copy)
            }
        }
    }

    /// Tells copies of a story apart: suffix of its service and deploy ID, noise seed offset,
    /// and whether a rollback that names its deploy in the demo still does.
    private struct Copy {
        var suffix = ""
        var seed: UInt64 = 0
        var rollbackNamesDeploy = true

        func builder(_ start: Date, service: String, deployId: String) -> EventBuilder {
            EventBuilder(start: start, service: service + suffix, deployId: deployId + suffix)
        }
    }

    private static func scenario(
        _ name: String, _ summary: String, _ builder: EventBuilder, triggers: [String], findings: [String]
    ) -> Scenario {
        Scenario(
            name: name, summary: summary, deployId: builder.deployId, events: builder.events,
            expectedTriggers: triggers.sorted(), expectedFindingKinds: Set(findings).sorted(),
            opensPostmortem: !triggers.isEmpty, topicOfEach: builder.topics)
    }

    /// CI, canary and soak passed with checks, the deploy succeeded, metrics stayed flat.
    private static func healthy(_ start: Date, _ copy: Copy = Copy()) -> Scenario {
        var b = copy.builder(start, service: "catalog", deployId: "demo-healthy-1")
        let noise = SeededNoise(seed: 1 + copy.seed)
        b.started(version: "3.8.0", team: "discovery", owner: "dana")
        b.ciPassed(testsTotal: 1260)
        b.gatePassed(
            "canary", from: 0, to: 10, trafficPercent: 10,
            checks: [
                EventBuilder.check("http_error_rate", threshold: 1.0, baseline: 0.3, observed: 0.31),
                EventBuilder.check("latency_p99_ms", threshold: 300, baseline: 150, observed: 152),
            ])
        b.gatePassed(
            "soak", from: 10, to: 40, trafficPercent: 100,
            checks: [
                EventBuilder.check("http_error_rate", threshold: 1.0, baseline: 0.3, observed: 0.3)
            ])
        b.finished("succeeded", at: 41, reason: "all gates passed")
        b.metric("http_error_rate", unit: "percent", from: -60, to: 60) { 0.3 + noise.at($0, amplitude: 0.02) }
        b.metric("latency_p99_ms", unit: "ms", from: -60, to: 60) { 150 + noise.at($0 + 10_000, amplitude: 4) }
        return scenario(
            "healthy", "CI, canary and soak passed with checks and metrics stayed flat: no postmortem.",
            b, triggers: [], findings: [])
    }

    /// The canary checked the error rate against a threshold far above what it observed; automation rolled back.
    private static func canaryTooLoose(_ start: Date, _ copy: Copy = Copy()) -> Scenario {
        var b = copy.builder(start, service: "payments", deployId: "demo-canary-loose-1")
        let noise = SeededNoise(seed: 2 + copy.seed)
        b.started(version: "2.14.0", team: "payments", owner: "priya")
        b.ciPassed(testsTotal: 2310)
        b.gatePassed(
            "canary", from: 0, to: 10, trafficPercent: 10,
            checks: [
                EventBuilder.check("http_error_rate", threshold: 5.0, baseline: 0.4, observed: 2.3)
            ])
        b.rolledBack(
            mode: "automatic", at: 12, initiatedBy: "argo-rollouts", reason: "http_error_rate above alert threshold",
            triggerMetric: "http_error_rate", toVersion: "2.13.2", withDeployId: copy.rollbackNamesDeploy)
        b.metric("http_error_rate", unit: "percent", from: -60, to: 30) {
            (3...12).contains($0) ? 2.3 + noise.at($0, amplitude: 0.1) : 0.4 + noise.at($0, amplitude: 0.03)
        }
        return scenario(
            "canary-too-loose",
            "The canary passed its http_error_rate check (threshold 5%) while the error rate rose from 0.4% to 2.3%; "
                + "automation rolled back.",
            b, triggers: ["rolled_back_automatically"], findings: ["canary_threshold_too_loose", "ci_coverage_gap"])
    }

    /// Canary and soak passed; p99 latency regressed 15 minutes after the soak ended; automation rolled back.
    private static func soakTooShort(_ start: Date, _ copy: Copy = Copy()) -> Scenario {
        var b = copy.builder(start, service: "search", deployId: "demo-soak-short-1")
        let noise = SeededNoise(seed: 3 + copy.seed)
        b.started(version: "5.2.0", team: "discovery", owner: "marco")
        b.ciPassed(testsTotal: 870)
        b.gatePassed(
            "canary", from: 0, to: 10, trafficPercent: 10,
            checks: [
                EventBuilder.check("latency_p99_ms", threshold: 400, baseline: 180, observed: 183)
            ])
        b.gatePassed(
            "soak", from: 10, to: 40, trafficPercent: 100,
            checks: [
                EventBuilder.check("latency_p99_ms", threshold: 400, baseline: 180, observed: 181)
            ])
        b.finished("succeeded", at: 41, reason: "all gates passed")
        b.rolledBack(
            mode: "automatic", at: 62, initiatedBy: "argo-rollouts", reason: "latency_p99_ms above alert threshold",
            triggerMetric: "latency_p99_ms", toVersion: "5.1.3", withDeployId: false)
        b.metric("latency_p99_ms", unit: "ms", from: -60, to: 75) {
            (55...62).contains($0) ? 420 + noise.at($0, amplitude: 15) : 180 + noise.at($0, amplitude: 6)
        }
        return scenario(
            "soak-too-short",
            "Canary and soak passed; p99 latency regressed from 180 ms to 420 ms 15 minutes after the 30-minute soak "
                + "ended; automation rolled back.",
            b, triggers: ["rolled_back_automatically"],
            findings: ["canary_window_too_short", "ci_coverage_gap", "soak_window_too_short"])
    }

    /// Customers were hit; a person rolled back 22 minutes after the error rate rose.
    private static func manualRollbackWithImpact(_ start: Date, _ copy: Copy = Copy()) -> Scenario {
        var b = copy.builder(start, service: "orders", deployId: "demo-manual-rollback-1")
        let noise = SeededNoise(seed: 4 + copy.seed)
        b.started(version: "7.0.1", team: "fulfilment", owner: "alice")
        b.ciPassed(testsTotal: 1540)
        b.gatePassed(
            "canary", from: 0, to: 5, trafficPercent: 5,
            checks: [
                EventBuilder.check("latency_p99_ms", threshold: 500, baseline: 220, observed: 224)
            ])
        b.impactedCustomers(severity: "high", startedAt: 8, detectedAt: 14, description: "orders failing at checkout")
        b.rolledBack(
            mode: "manual", at: 26, initiatedBy: "alice", reason: "customer reports of failed orders",
            triggerMetric: nil, toVersion: "7.0.0", withDeployId: copy.rollbackNamesDeploy)
        b.metric("http_error_rate", unit: "percent", from: -60, to: 45) {
            (4...26).contains($0) ? 3.1 + noise.at($0, amplitude: 0.2) : 0.5 + noise.at($0, amplitude: 0.03)
        }
        b.metric("latency_p99_ms", unit: "ms", from: -60, to: 45) { 220 + noise.at($0 + 10_000, amplitude: 5) }
        return scenario(
            "manual-rollback-with-impact",
            "The error rate rose from 0.5% to 3.1% after the canary (which did not check it); customers were hit "
                + "(high) and a person rolled back 22 minutes after onset.",
            b, triggers: ["customer_impact:high", "rolled_back_manually"],
            findings: ["canary_metric_not_checked", "ci_coverage_gap", "manual_rollback", "slow_detection"])
    }

    /// The deploy succeeded but needed a manual data fix in production.
    private static func outOfBandDataFix(_ start: Date, _ copy: Copy = Copy()) -> Scenario {
        var b = copy.builder(start, service: "ledger", deployId: "demo-data-fix-1")
        let noise = SeededNoise(seed: 5 + copy.seed)
        b.started(version: "1.9.0", team: "finance-platform", owner: "tomasz")
        b.ciPassed(testsTotal: 640)
        b.gatePassed(
            "canary", from: 0, to: 10, trafficPercent: 10,
            checks: [
                EventBuilder.check("http_error_rate", threshold: 1.0, baseline: 0.2, observed: 0.21)
            ])
        b.gatePassed("soak", from: 10, to: 40, trafficPercent: 100, checks: [])
        b.finished("succeeded", at: 41, reason: "all gates passed")
        b.intervened(
            kind: "data_fix", at: 55, actor: "dba-oncall",
            description: "backfilled ledger balances the new migration left null")
        b.metric("http_error_rate", unit: "percent", from: -60, to: 70) { 0.2 + noise.at($0, amplitude: 0.02) }
        return scenario(
            "out-of-band-data-fix",
            "All gates passed and the deploy succeeded, but an operator had to fix data in production by hand.",
            b, triggers: ["intervention:data_fix"], findings: ["ci_coverage_gap", "intervention"])
    }
}
