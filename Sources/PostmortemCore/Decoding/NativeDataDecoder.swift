/// Decodes the `data` of our `io.deploypostmortem.*` event types.
enum NativeDataDecoder {
    /// Our type names (without the `io.deploypostmortem.` prefix) and their decoders.
    static let decoders: [String: @Sendable (FieldReader) throws(DecodingError) -> InputEvent] = [
        "deploy.started.v1": { r throws(DecodingError) in .deployStarted(try deployStarted(r)) },
        "deploy.gate_finished.v1": { r throws(DecodingError) in .gateFinished(try gateFinished(r)) },
        "deploy.finished.v1": { r throws(DecodingError) in .deployFinished(try deployFinished(r)) },
        "deploy.intervened.v1": { r throws(DecodingError) in .intervened(try intervention(r)) },
        "deploy.impacted_customers.v1": { r throws(DecodingError) in .impactedCustomers(try impact(r)) },
        "deploy.rolled_back.v1": { r throws(DecodingError) in .rolledBack(try rollback(r)) },
        "metric.sampled.v1": { r throws(DecodingError) in .metricSampled(try metricSample(r)) },
    ]

    static func artifact(_ r: FieldReader) throws(DecodingError) -> Artifact {
        Artifact(
            name: try r.string("name"), version: try r.string("version"),
            digest: try r.string("digest"), purl: try r.string("purl"))
    }

    static func deployStarted(_ r: FieldReader) throws(DecodingError) -> DeployStarted {
        DeployStarted(
            deployId: try r.requiredString("deployId"), service: try r.requiredString("service"),
            environment: try r.requiredString("environment"), startedAt: try r.requiredDate("startedAt"),
            artifact: try r.object("artifact").map { a throws(DecodingError) in try artifact(a) },
            commit: try r.string("commit"), team: try r.string("team"), owner: try r.string("owner"),
            pipelineUrl: try r.string("pipelineUrl"))
    }

    /// The `checks` array of a gate result.
    static func checks(_ r: FieldReader) throws(DecodingError) -> [GateCheck] {
        var checks: [GateCheck] = []
        for c in try r.objects("checks") {
            checks.append(
                GateCheck(
                    metric: try c.requiredString("metric"), threshold: try c.requiredNumber("threshold"),
                    direction: try c.requiredEnumeration("direction", Direction.self),
                    baseline: try c.number("baseline"), observed: try c.number("observed"), passed: try c.bool("passed")
                ))
        }
        return checks
    }

    static func gateFinished(_ r: FieldReader) throws(DecodingError) -> GateFinished {
        let checks = try checks(r)
        let startedAt = try r.date("startedAt")
        let finishedAt = try r.date("finishedAt")
        if let startedAt, let finishedAt, finishedAt < startedAt {
            throw DecodingError(path: r.childPath("finishedAt"), reason: "must not be before startedAt")
        }
        return GateFinished(
            deployId: try r.requiredString("deployId"), gate: try r.requiredEnumeration("gate", Gate.self),
            outcome: try r.requiredEnumeration("outcome", GateOutcome.self),
            startedAt: startedAt, finishedAt: finishedAt,
            trafficPercent: try r.number("trafficPercent", in: 0...100), checks: checks,
            ci: try r.object("ci").map { c throws(DecodingError) in try ciDetails(c) })
    }

    static func ciDetails(_ r: FieldReader) throws(DecodingError) -> CIDetails {
        var retried: [RetriedTest] = []
        for t in try r.objects("retriedTests") {
            retried.append(
                RetriedTest(
                    name: try t.requiredString("name"), attempts: try t.integer("attempts", minimum: 1) ?? 1,
                    finalOutcome: try t.string("finalOutcome") ?? "passed"))
        }
        let total = try r.integer("testsTotal")
        let failed = try r.integer("testsFailed")
        if let total, let failed, failed > total {
            throw DecodingError(
                path: r.childPath("testsFailed"), reason: "must not exceed testsTotal (\(total)), got \(failed)")
        }
        return CIDetails(
            runUrl: try r.string("runUrl"), testsTotal: total, testsFailed: failed, retriedTests: retried,
            testData: try r.enumeration("testData", TestData.self),
            coveragePercent: try r.number("coveragePercent", in: 0...100))
    }

    static func deployFinished(_ r: FieldReader) throws(DecodingError) -> DeployFinished {
        DeployFinished(
            deployId: try r.requiredString("deployId"),
            outcome: try r.requiredEnumeration("outcome", DeployOutcome.self),
            finishedAt: try r.requiredDate("finishedAt"), reason: try r.string("reason"))
    }

    static func intervention(_ r: FieldReader) throws(DecodingError) -> Intervention {
        Intervention(
            service: try r.requiredString("service"), environment: try r.requiredString("environment"),
            kind: try r.requiredEnumeration("kind", InterventionKind.self), at: try r.requiredDate("at"),
            deployId: try r.string("deployId"), actor: try r.string("actor"), description: try r.string("description"))
    }

    static func impact(_ r: FieldReader) throws(DecodingError) -> CustomerImpact {
        CustomerImpact(
            service: try r.requiredString("service"), environment: try r.requiredString("environment"),
            severity: try r.requiredEnumeration("severity", ImpactSeverity.self),
            startedAt: try r.requiredDate("startedAt"), deployId: try r.string("deployId"),
            detectedAt: try r.date("detectedAt"), description: try r.string("description"),
            incidentUrl: try r.string("incidentUrl"))
    }

    static func rollback(_ r: FieldReader) throws(DecodingError) -> Rollback {
        Rollback(
            service: try r.requiredString("service"), environment: try r.requiredString("environment"),
            mode: try r.requiredEnumeration("mode", RollbackMode.self),
            rolledBackAt: try r.requiredDate("rolledBackAt"),
            deployId: try r.string("deployId"), initiatedBy: try r.string("initiatedBy"),
            reason: try r.string("reason"),
            triggerMetric: try r.string("triggerMetric"), toVersion: try r.string("toVersion"))
    }

    static func metricSample(_ r: FieldReader) throws(DecodingError) -> MetricSample {
        try r.require("points")
        let items = try r.objects("points")
        let limit = r.context.limits.maxPointsPerMetricEvent
        guard !items.isEmpty, items.count <= limit else {
            throw DecodingError(
                path: r.childPath("points"), reason: "expected 1 to \(limit) points, got \(items.count)")
        }
        var points: [MetricPoint] = []
        for p in items {
            points.append(MetricPoint(at: try p.requiredDate("at"), value: try p.requiredNumber("value")))
        }
        var labels: [String: String] = [:]
        if let l = try r.object("labels") {
            for key in l.fields.keys.sorted() { labels[FieldReader.canonical(key)] = try l.requiredString(key) }
        }
        let slo = try r.object("slo").map { s throws(DecodingError) in
            SLO(
                threshold: try s.requiredNumber("threshold"),
                direction: try s.requiredEnumeration("direction", Direction.self))
        }
        return MetricSample(
            service: try r.requiredString("service"), environment: try r.requiredString("environment"),
            metric: try r.requiredString("metric"), points: points, unit: try r.string("unit"), labels: labels,
            slo: slo,
            direction: try r.enumeration("direction", Direction.self))
    }
}
