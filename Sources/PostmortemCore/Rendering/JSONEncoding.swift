import Foundation

/// JSON forms of the output data (the `data` of output CloudEvents and `analyze --format json`).
extension Postmortem {
    /// The postmortem as JSON: id, deployId, service, environment, artifact, triggers, severity, status,
    /// rolledBackAt, contributingMetrics, findings, actionItemIds, links.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "deployId": .string(deployId), "service": .string(service),
            "environment": .string(environment), "triggers": .array(triggers.map { .string($0.trigger.description) }),
            "severity": .string(severity.rawValue), "status": .string(status.rawValue),
            "detectedAt": .string(RFC3339.format(detectedAt)),
            "contributingMetrics": .array(contributingMetrics.map(\.json)),
            "findings": .array(findings.map(\.json)),
            "actionItemIds": .array(actionItems.map { .string($0.id) }),
            "links": .object(links.mapValues { .string($0) }),
        ]
        fields["artifact"] = artifact.map(\.json)
        fields["rolledBackAt"] = rolledBackAt.map { .string(RFC3339.format($0)) }
        return .object(fields)
    }
}

extension Artifact {
    /// The artifact as JSON (absent members omitted).
    public var json: JSONValue {
        .object(["name": name, "version": version, "digest": digest, "purl": purl].compactMapValues { $0.map { .string($0) } })
    }
}

extension MetricCorrelation {
    /// The correlation as JSON.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "metric": .string(metric), "direction": .string(direction.rawValue), "baseline": .number(round2(baseline)),
            "limit": .number(round2(limit)), "peak": .number(round2(peak)), "breachFraction": .number(round2(breachFraction)),
            "sloBreached": .bool(sloBreached),
        ]
        fields["unit"] = unit.map { .string($0) }
        fields["onset"] = onset.map { .string(RFC3339.format($0)) }
        return .object(fields)
    }
}

extension Finding {
    /// The finding as JSON.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "key": .string(key), "kind": .string(kind.rawValue), "gate": .string(area.rawValue),
            "summary": .string(summary), "fix": .string(fix), "evidence": .object(evidence),
        ]
        fields["metric"] = metric.map { .string($0) }
        return .object(fields)
    }
}

extension ActionItem {
    /// The item as JSON.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "postmortemId": .string(postmortemId), "deployId": .string(deployId),
            "kind": .string(kind.rawValue), "gate": .string(gate.rawValue), "title": .string(title),
            "description": .string(description), "owner": .string(owner), "dueAt": .string(RFC3339.format(dueAt)),
            "status": .string(status.rawValue),
        ]
        fields["evidenceUrl"] = evidenceUrl.map { .string($0) }
        return .object(fields)
    }
}

extension ActionItemChange {
    /// The change as JSON: the item plus previousStatus, changedBy, changedAt.
    public var json: JSONValue {
        guard case .object(var fields) = item.json else { return item.json }
        fields["previousStatus"] = previousStatus.map { .string($0.rawValue) }
        fields["changedBy"] = .string(changedBy)
        fields["changedAt"] = .string(RFC3339.format(changedAt))
        fields["reason"] = reason.map { .string($0) }
        return .object(fields)
    }
}
