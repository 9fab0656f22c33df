import Foundation

@testable import PostmortemCore

/// Builders for realistic test events. All times are minutes relative to the deploy start.
enum Fixture {
    /// Deploy start of every scenario.
    static let start = RFC3339.parse("2026-11-26T10:00:00Z")!
    /// The injected clock.
    static let now = RFC3339.parse("2026-11-26T18:00:00Z")!
    /// The vendored CDEvents specification files, by tag (`v0.5.1/schemas`, `v0.4.1/conformance`, …; see their NOTICE).
    static let cdevents = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures/cdevents")

    /// RFC 3339 time `minutes` after the deploy start.
    static func t(_ minutes: Double) -> String { RFC3339.format(start.addingTimeInterval(minutes * 60)) }

    /// Compact JSON with sorted keys.
    static func json(_ object: [String: Any]) -> String {
        String(
            decoding: try! JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    /// A structured CloudEvent of our type `type` (without prefix).
    static func event(_ type: String, id: String, source: String = "/pipeline", _ data: [String: Any]) -> String {
        json([
            "specversion": "1.0", "id": id, "source": source, "type": "io.deploypostmortem.\(type)", "time": t(0),
            "data": data,
        ])
    }

    static func started(
        _ deployId: String, service: String = "checkout", at minutes: Double = 0, extra: [String: Any] = [:]
    ) -> String {
        var data: [String: Any] = [
            "deployId": deployId, "service": service, "environment": "prod", "startedAt": t(minutes),
            "artifact": ["name": service, "version": "1.42.0"], "team": "payments",
            "pipelineUrl": "https://ci.example.com/deploys/\(deployId)",
        ]
        data.merge(extra) { $1 }
        return event("deploy.started.v1", id: "\(deployId)-started", data)
    }

    static func gate(
        _ deployId: String, _ gate: String, _ outcome: String = "passed", from: Double, to: Double,
        extra: [String: Any] = [:]
    ) -> String {
        var data: [String: Any] = [
            "deployId": deployId, "gate": gate, "outcome": outcome, "startedAt": t(from), "finishedAt": t(to),
        ]
        data.merge(extra) { $1 }
        return event("deploy.gate_finished.v1", id: "\(deployId)-\(gate)", data)
    }

    static func ci(_ deployId: String, total: Int = 420, failed: Int = 0, extra: [String: Any] = [:]) -> String {
        var details: [String: Any] = [
            "testsTotal": total, "testsFailed": failed, "coveragePercent": 81.5, "testData": "production_like",
            "runUrl": "https://ci.example.com/runs/\(deployId)",
        ]
        details.merge(extra) { $1 }
        return gate(deployId, "ci", from: -20, to: -5, extra: ["ci": details])
    }

    static func check(_ metric: String, threshold: Double, observed: Double, passed: Bool = true) -> [String: Any] {
        [
            "metric": metric, "threshold": threshold, "direction": "above", "baseline": 100, "observed": observed,
            "passed": passed,
        ]
    }

    static func rollback(
        _ deployId: String?, mode: String = "automatic", at minutes: Double, service: String = "checkout",
        extra: [String: Any] = [:]
    ) -> String {
        var data: [String: Any] = ["service": service, "environment": "prod", "mode": mode, "rolledBackAt": t(minutes)]
        data["deployId"] = deployId
        data.merge(extra) { $1 }
        return event("deploy.rolled_back.v1", id: "\(deployId ?? service)-rollback-\(Int(minutes))", data)
    }

    static func finished(_ deployId: String, _ outcome: String, at minutes: Double, reason: String? = nil) -> String {
        var data: [String: Any] = ["deployId": deployId, "outcome": outcome, "finishedAt": t(minutes)]
        data["reason"] = reason
        return event("deploy.finished.v1", id: "\(deployId)-finished", data)
    }

    static func intervention(
        _ deployId: String?, kind: String, at minutes: Double, service: String = "checkout", actor: String = "bob",
        description: String = "changed pool size"
    ) -> String {
        var data: [String: Any] = [
            "service": service, "environment": "prod", "kind": kind, "at": t(minutes), "actor": actor,
            "description": description,
        ]
        data["deployId"] = deployId
        return event("deploy.intervened.v1", id: "\(deployId ?? service)-intervened-\(kind)-\(Int(minutes))", data)
    }

    static func impact(
        _ deployId: String?, severity: String, at minutes: Double, service: String = "checkout",
        extra: [String: Any] = [:]
    ) -> String {
        var data: [String: Any] = [
            "service": service, "environment": "prod", "severity": severity, "startedAt": t(minutes),
            "description": "checkout errors", "incidentUrl": "https://incidents.example.com/1",
        ]
        data["deployId"] = deployId
        data.merge(extra) { $1 }
        return event("deploy.impacted_customers.v1", id: "\(deployId ?? service)-impact-\(Int(minutes))", data)
    }

    /// One hour of baseline samples before minute `end` (one a minute, cycling value-1, value,
    /// value+1: median value, MAD 1).
    static func baseline(_ value: Double, before end: Int = 0) -> [(Int, Double)] {
        (end - 60...end - 1).map { ($0, value + Double(($0 - end + 60) % 3) - 1) }
    }

    /// A metric event with points at the given minutes.
    static func metric(
        _ name: String, _ points: [(Int, Double)], service: String = "checkout", slo: [String: Any]? = nil,
        id: String? = nil,
        environment: String = "prod", unit: String = "ms", labels: [String: String] = [:]
    ) -> String {
        var data: [String: Any] = [
            "service": service, "environment": environment, "metric": name, "unit": unit,
            "points": points.map { ["at": t(Double($0.0)), "value": $0.1] },
        ]
        data["slo"] = slo
        if !labels.isEmpty { data["labels"] = labels }
        return event("metric.sampled.v1", id: id ?? "\(service)-\(name)", source: "/exporter", data)
    }

    /// Baseline 100 then `value` from minute `onset` on (100 before), minutes 0…`until`.
    static func regression(
        _ name: String = "latency_p99_ms", onset: Int, value: Double = 200, until: Int = 60, slo: [String: Any]? = nil
    ) -> String {
        metric(name, baseline(100) + (0...until).map { ($0, $0 >= onset ? value : 100) }, slo: slo)
    }

    /// Decodes JSON lines with the default decoder at `now`.
    static func decode(_ lines: [String]) throws -> [DecodedEvent] {
        try lines.map { try EventDecoder().decode(json: Array($0.utf8), now: now) }
    }
}
