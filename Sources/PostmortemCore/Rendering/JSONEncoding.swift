import Foundation

/// JSON forms of the output data (the `data` of output CloudEvents and `analyze --format json`).
extension Postmortem {
    /// The postmortem as JSON: id, deployId, service, environment, artifact, commit, owner, gates,
    /// impact, impactStatement, response, triggers, triggeredAt, severity, status, detectedAt,
    /// rolledBackAt, rollbackTarget, assumptions, dataQuality, contributingMetrics, ruledOutMetrics,
    /// wentWell, findings, actionItemIds, timeline, links, pendingMetrics (unknown members and an
    /// empty pendingMetrics omitted). Everything the Markdown shows besides the action items, so
    /// ``init(document:actionItems:)`` reads it back.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "id": .string(id), "deployId": .string(deployId), "service": .string(service),
            "environment": .string(environment), "triggers": .array(triggers.map { .string($0.trigger.description) }),
            "triggeredAt": .object(
                Dictionary(
                    triggers.map { ($0.trigger.description, JSONValue.string(RFC3339.format($0.at))) },
                    uniquingKeysWith: { first, _ in first })),
            "timeline": .array(timeline.map(\.json)),
            "severity": .string(severity.rawValue), "status": .string(status.rawValue),
            "detectedAt": .string(RFC3339.format(detectedAt)),
            "contributingMetrics": .array(contributingMetrics.map(\.json)),
            "findings": .array(findings.map(\.json)),
            "actionItemIds": .array(actionItems.map { .string($0.id) }),
            "links": .object(links.mapValues { .string($0) }),
            "owner": .string(owner),
            "assumptions": .array(assumptions.map { .string($0) }),
            "dataQuality": .array(dataQuality.map(\.json)),
            "ruledOutMetrics": .array(ruledOutMetrics.map(\.json)),
            "wentWell": .array(wentWell.map(\.json)),
            "impactStatement": .string(impactStatement),
            "response": response.json,
            "gates": .object(
                Dictionary(uniqueKeysWithValues: gates.map { ($0.key.rawValue, .string($0.value.rawValue)) })),
        ]
        fields["artifact"] = artifact.map(\.json)
        fields["impact"] = impact.map(\.json)
        fields["rolledBackAt"] = rolledBackAt.map { .string(RFC3339.format($0)) }
        fields["commit"] = commit.map { .string($0) }
        if !pendingMetrics.isEmpty { fields["pendingMetrics"] = .array(pendingMetrics.map { .string($0) }) }
        fields["rollbackTarget"] = rollbackTarget.map { t in
            .object(["version": t.version, "artifact": t.artifact].compactMapValues { $0.map { .string($0) } })
        }
        return .object(fields)
    }
}

extension TimelineEntry {
    /// The entry as JSON: at, text.
    public var json: JSONValue { .object(["at": .string(RFC3339.format(at)), "text": .string(text)]) }
}

extension ResponseTimes {
    /// The times as JSON: problemStartedAt, detectedAt, mitigatedAt, timeToDetectSeconds,
    /// timeToMitigateSeconds (unknown members omitted).
    public var json: JSONValue {
        var fields: [String: JSONValue] = [:]
        fields["problemStartedAt"] = problemStartedAt.map { .string(RFC3339.format($0)) }
        fields["detectedAt"] = detectedAt.map { .string(RFC3339.format($0)) }
        fields["mitigatedAt"] = mitigatedAt.map { .string(RFC3339.format($0)) }
        fields["timeToDetectSeconds"] = timeToDetectSeconds.map { .number($0) }
        fields["timeToMitigateSeconds"] = timeToMitigateSeconds.map { .number($0) }
        return .object(fields)
    }
}

extension DataQualityWarning {
    /// The warning as JSON: kind, metric, summary, evidence.
    public var json: JSONValue {
        .object([
            "kind": .string(kind.rawValue), "metric": .string(metric), "summary": .string(summary),
            "evidence": .object(evidence),
        ])
    }
}

extension Success {
    /// What went well as JSON: kind, summary, evidence.
    public var json: JSONValue {
        .object(["kind": .string(kind.rawValue), "summary": .string(summary), "evidence": .object(evidence)])
    }
}

extension ImpactSummary {
    /// The impact as JSON: severity, description, startedAt, detectedAt, mitigatedAt, durationSeconds,
    /// timeToDetectSeconds, timeToMitigateSeconds, incidentUrl (unknown members omitted).
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "severity": .string(severity.rawValue), "startedAt": .string(RFC3339.format(startedAt)),
        ]
        fields["description"] = what.map { .string($0) }
        fields["detectedAt"] = detectedAt.map { .string(RFC3339.format($0)) }
        fields["mitigatedAt"] = mitigatedAt.map { .string(RFC3339.format($0)) }
        fields["durationSeconds"] = durationSeconds.map { .number($0) }
        fields["timeToDetectSeconds"] = timeToDetectSeconds.map { .number($0) }
        fields["timeToMitigateSeconds"] = timeToMitigateSeconds.map { .number($0) }
        fields["incidentUrl"] = incidentUrl.map { .string($0) }
        return .object(fields)
    }
}

extension Artifact {
    /// The artifact as JSON (absent members omitted).
    public var json: JSONValue {
        .object(
            ["name": name, "version": version, "digest": digest, "purl": purl].compactMapValues {
                $0.map { .string($0) }
            })
    }
}

extension MetricCorrelation {
    /// The correlation as JSON (`reason` only for a series that did not contribute).
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "metric": .string(metric), "direction": .string(direction.rawValue), "baseline": .number(baseline),
            "limit": .number(limit), "peak": .number(peak), "breachFraction": .number(breachFraction),
            "sloBreached": .bool(sloBreached), "directionSource": .string(directionSource.rawValue),
        ]
        if !labels.isEmpty { fields["labels"] = .object(labels.mapValues { .string($0) }) }
        fields["unit"] = unit.map { .string($0) }
        fields["onset"] = onset.map { .string(RFC3339.format($0)) }
        fields["reason"] = reason.map { .string($0) }
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
        fields["proposal"] = proposal?.json
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
        fields["proposal"] = proposal?.json
        return .object(fields)
    }
}

extension ActionItemChange {
    /// The change as JSON: the item plus previousStatus, changedBy, changedAt (and reason,
    /// followUp when set).
    public var json: JSONValue {
        guard case .object(var fields) = item.json else { return item.json }
        fields["previousStatus"] = previousStatus.map { .string($0.rawValue) }
        fields["changedBy"] = .string(changedBy)
        fields["changedAt"] = .string(RFC3339.format(changedAt))
        fields["reason"] = reason.map { .string($0) }
        fields["followUp"] = followUp?.json
        return .object(fields)
    }
}
