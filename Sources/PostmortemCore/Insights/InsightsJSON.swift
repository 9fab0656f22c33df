import Foundation

// JSON renderings of the insights (the bodies of GET /v1/insights/*, docs/openapi.yaml).

private func number(_ value: Double?) -> JSONValue { value.map { .number($0) } ?? .null }
private func ids(_ ids: [String]) -> JSONValue { .array(ids.map { .string($0) }) }

extension DeliveryFigures {
    /// `{"from", "to", "deploymentFrequency", "changeFailureRate", "failedDeploymentRecoveryTime", "reworkRate", "weeks"}`.
    public var json: JSONValue {
        .object([
            "from": .string(RFC3339.format(from)), "to": .string(RFC3339.format(to)),
            "deploymentFrequency": .object([
                "deploys": .number(Double(deploymentFrequency.deploys)), "perDay": .number(deploymentFrequency.perDay),
                "perWeek": .number(deploymentFrequency.perWeek), "deployIds": ids(deploymentFrequency.deployIds),
                "rule": .string(deploymentFrequency.rule),
            ]),
            "changeFailureRate": changeFailureRate.json,
            "failedDeploymentRecoveryTime": .object([
                "p50Seconds": number(recoveryTime.p50Seconds), "p90Seconds": number(recoveryTime.p90Seconds),
                "recovered": .array(
                    recoveryTime.recovered.map {
                        .object(["deployId": .string($0.deployId), "seconds": .number($0.seconds)])
                    }),
                "deployIds": ids(recoveryTime.recovered.map(\.deployId)),
                "unrecoveredDeployIds": ids(recoveryTime.unrecovered), "rule": .string(recoveryTime.rule),
            ]),
            "reworkRate": reworkRate.json,
            "weeks": .array(
                weeks.map { week in
                    .object([
                        "week": .string(week.week.description), "start": .string(RFC3339.format(week.week.start)),
                        "deploys": .number(Double(week.deploys)), "failedDeploys": .number(Double(week.failed)),
                        "reworkDeploys": .number(Double(week.rework)),
                        "changeFailureRate": number(week.changeFailureRate),
                        "reworkRate": number(week.reworkRate), "recoveryP50Seconds": number(week.recoveryP50Seconds),
                        "recoveryP90Seconds": number(week.recoveryP90Seconds),
                    ])
                }),
        ])
    }
}

extension RateFigure {
    /// `{"count", "deploys", "rate", "deployIds", "rule"}`.
    public var json: JSONValue {
        .object([
            "count": .number(Double(count)), "deploys": .number(Double(deploys)), "rate": number(rate),
            "deployIds": ids(deployIds), "rule": .string(rule),
        ])
    }
}

extension GateGap {
    /// `{"service", "gate", "reason", "metric", "count", "summary", "postmortems": [...]}`.
    public var json: JSONValue {
        .object([
            "service": .string(service), "gate": .string(gate.rawValue), "reason": .string(kind.rawValue),
            "metric": metric.map { .string($0) } ?? .null, "count": .number(Double(count)), "summary": .string(summary),
            "postmortems": .array(
                occurrences.map {
                    .object([
                        "postmortemId": .string($0.postmortemId), "deployId": .string($0.deployId),
                        "environment": .string($0.environment), "openedAt": .string(RFC3339.format($0.openedAt)),
                    ])
                }),
        ])
    }
}

extension FollowUpState {
    /// `{"verdict", "deployId", "deployStartedAt", "observed", "threshold", "missedAs", "revision"}`:
    /// `verdict` is `verified_effective`, `regressed` or `pending` (not judged, or withdrawn), and
    /// the deploy's members are null while pending.
    public var json: JSONValue {
        .object([
            "verdict": .string(verdict?.rawValue ?? "pending"),
            "deployId": evidence.map { .string($0.deployId) } ?? .null,
            "deployStartedAt": evidence.map { .string(RFC3339.format($0.at)) } ?? .null,
            "observed": number(evidence?.observed), "threshold": number(evidence?.threshold),
            "missedAs": evidence?.missedAs.map { .string($0.rawValue) } ?? .null,
            "revision": .number(Double(revision)),
        ])
    }
}

extension FollowUpChange {
    /// ``FollowUpState/json`` of the state after the change, plus `supersedes` {verdict, deployId}:
    /// the verdict it corrects (null for a first verdict).
    public var json: JSONValue {
        guard case .object(var fields) = state.json else { return state.json }
        fields["supersedes"] =
            supersedes.map { .object(["verdict": .string($0.verdict.rawValue), "deployId": .string($0.deployId)]) }
            ?? .null
        return .object(fields)
    }
}
