import Foundation
import PostmortemCore

/// Builds the JSON lines of one scenario. Times are minutes relative to the deploy start.
struct EventBuilder {
    /// Deploy start.
    let start: Date
    /// Service (unique per scenario).
    let service: String
    /// Deploy ID.
    let deployId: String
    /// Environment of every event.
    let environment = "prod"
    /// JSON lines so far.
    private(set) var events: [String] = []
    /// Topic of each line so far.
    private(set) var topics: [String] = []

    init(start: Date, service: String, deployId: String) {
        self.start = start
        self.service = service
        self.deployId = deployId
    }

    /// RFC 3339 time `minutes` after the deploy start.
    func time(_ minutes: Double) -> String { RFC3339.format(start.addingTimeInterval(minutes * 60)) }

    /// Appends a structured CloudEvent of our type `type` (without prefix), sent at `minutes`.
    private mutating func append(
        _ type: String, id: String, source: String, topic: String, at minutes: Double, _ data: [String: Any]
    ) {
        let object: [String: Any] = [
            "specversion": "1.0", "id": id, "source": source, "type": "io.deploypostmortem.\(type)",
            "time": time(minutes), "datacontenttype": "application/json", "data": data,
        ]
        let bytes = try! JSONSerialization.data(
            withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        events.append(String(decoding: bytes, as: UTF8.self))
        topics.append(topic)
    }

    /// `deploy.started.v1`.
    mutating func started(version: String, team: String, owner: String) {
        append(
            "deploy.started.v1", id: "\(deployId)-started", source: "/ci/pipeline", topic: "deploys", at: 0,
            [
                "deployId": deployId, "service": service, "environment": environment, "startedAt": time(0),
                "artifact": [
                    "name": service, "version": version, "purl": "pkg:oci/\(service)@\(version)",
                    "digest": "sha256:" + String(repeating: String(deployId.utf8.count % 10), count: 64),
                ],
                "commit": String(repeating: "a", count: 40), "team": team, "owner": owner,
                "pipelineUrl": "https://ci.example.com/deploys/\(deployId)",
            ])
    }

    /// A passed CI gate from minute -20 to -5 with production-like data and no failing test.
    mutating func ciPassed(testsTotal: Int) {
        gate(
            "ci", from: -20, to: -5,
            [
                "ci": [
                    "runUrl": "https://ci.example.com/runs/\(deployId)", "testsTotal": testsTotal, "testsFailed": 0,
                    "testData": "production_like", "coveragePercent": 82.5,
                ] as [String: Any]
            ])
    }

    /// A passed gate with `trafficPercent` and `checks`.
    mutating func gatePassed(_ gate: String, from: Double, to: Double, trafficPercent: Double, checks: [[String: Any]])
    {
        self.gate(gate, from: from, to: to, ["trafficPercent": trafficPercent, "checks": checks])
    }

    private mutating func gate(_ gate: String, from: Double, to: Double, _ extra: [String: Any]) {
        var data: [String: Any] = [
            "deployId": deployId, "gate": gate, "outcome": "passed", "startedAt": time(from), "finishedAt": time(to),
        ]
        data.merge(extra) { $1 }
        append(
            "deploy.gate_finished.v1", id: "\(deployId)-gate-\(gate)", source: "/ci/pipeline", topic: "deploys", at: to,
            data)
    }

    /// A passed check (`direction` above).
    static func check(_ metric: String, threshold: Double, baseline: Double, observed: Double) -> [String: Any] {
        [
            "metric": metric, "threshold": threshold, "direction": "above", "baseline": baseline, "observed": observed,
            "passed": true,
        ]
    }

    /// `deploy.finished.v1`.
    mutating func finished(_ outcome: String, at minutes: Double, reason: String) {
        append(
            "deploy.finished.v1", id: "\(deployId)-finished", source: "/ci/pipeline", topic: "deploys", at: minutes,
            [
                "deployId": deployId, "outcome": outcome, "finishedAt": time(minutes), "reason": reason,
            ])
    }

    /// `deploy.rolled_back.v1` (with or without deploy ID).
    mutating func rolledBack(
        mode: String, at minutes: Double, initiatedBy: String, reason: String, triggerMetric: String?,
        toVersion: String,
        withDeployId: Bool
    ) {
        var data: [String: Any] = [
            "service": service, "environment": environment, "mode": mode, "rolledBackAt": time(minutes),
            "initiatedBy": initiatedBy, "reason": reason, "toVersion": toVersion,
        ]
        data["triggerMetric"] = triggerMetric
        if withDeployId { data["deployId"] = deployId }
        let source = mode == "automatic" ? "/rollouts/controller" : "/ci/pipeline"
        append(
            "deploy.rolled_back.v1", id: "\(deployId)-rollback", source: source, topic: "rollbacks", at: minutes, data)
    }

    /// `deploy.impacted_customers.v1` without deploy ID (attributed by service and environment).
    mutating func impactedCustomers(severity: String, startedAt: Double, detectedAt: Double, description: String) {
        append(
            "deploy.impacted_customers.v1", id: "\(deployId)-impact", source: "/incidents", topic: "deploys",
            at: detectedAt,
            [
                "service": service, "environment": environment, "severity": severity, "startedAt": time(startedAt),
                "detectedAt": time(detectedAt), "description": description,
                "incidentUrl": "https://incidents.example.com/\(deployId)",
            ])
    }

    /// `deploy.intervened.v1`.
    mutating func intervened(kind: String, at minutes: Double, actor: String, description: String) {
        append(
            "deploy.intervened.v1", id: "\(deployId)-intervened-\(kind)", source: "/ci/pipeline", topic: "deploys",
            at: minutes,
            [
                "deployId": deployId, "service": service, "environment": environment, "kind": kind, "at": time(minutes),
                "actor": actor, "description": description,
            ])
    }

    /// `metric.sampled.v1` events without deploy ID, one point a minute from minute `from` to `to`, in batches of
    /// `batch` points; `value` gives each minute's value.
    mutating func metric(
        _ name: String, unit: String, from: Int, to: Int, batch: Int = 30, _ value: (Int) -> Double
    ) {
        for first in stride(from: from, through: to, by: batch) {
            let minutes = first...min(first + batch - 1, to)
            let points = minutes.map { ["at": time(Double($0)), "value": value($0)] as [String: Any] }
            append(
                "metric.sampled.v1", id: "\(service)-\(name)-\(time(Double(first)))", source: "/metrics/exporter",
                topic: "metrics", at: Double(minutes.upperBound),
                [
                    "service": service, "environment": environment, "metric": name, "unit": unit, "points": points,
                    "labels": ["region": "eu-west-1"],
                ])
        }
    }
}

/// Deterministic metric noise: SplitMix64 of a seed and the point's minute.
struct SeededNoise {
    /// Seed (one per scenario).
    let seed: UInt64

    /// Noise at `minute`, uniform in `-amplitude ... amplitude`, rounded to 3 decimals.
    func at(_ minute: Int, amplitude: Double) -> Double {
        let z = SplitMix64.value(seed: seed, index: minute)
        let unit = Double(z >> 11) / Double(UInt64(1) << 53)
        return ((unit * 2 - 1) * amplitude * 1000).rounded() / 1000
    }
}
