import Foundation
import PostmortemCore

/// JSON renderings of the API's resources (see docs/openapi.yaml). Times are RFC 3339; absent
/// optional values are `null`, so clients see every member.
enum APIResources {
    static func time(_ date: Date?) -> JSONValue { date.map { .string(RFC3339.format($0)) } ?? .null }

    /// `{"items": [...], "nextCursor": ...}`.
    static func page<Item>(_ page: Page<Item>, _ render: (Item) -> JSONValue) -> JSONValue {
        .object(["items": .array(page.items.map(render)), "nextCursor": page.next.map { .string($0.token) } ?? .null])
    }

    /// An action item with its version, timestamps, whether it is overdue at `now`, and its
    /// follow-up verdict (null when its fix changes no gate, so no deploy can judge it).
    static func actionItem(_ stored: StoredActionItem, now: Date) -> JSONValue {
        guard case .object(var fields) = stored.item.json else { return stored.item.json }
        fields["findingKey"] = .string(stored.item.findingKey)
        fields["evidenceUrl"] = fields["evidenceUrl"] ?? .null
        fields["overdue"] = .bool(stored.item.isOverdue(at: now))
        fields["version"] = .number(Double(stored.version))
        fields["createdAt"] = time(stored.createdAt)
        fields["updatedAt"] = time(stored.updatedAt)
        fields["followUp"] = .null
        if GateChange.parse(findingKey: stored.item.findingKey) != nil,
            case .object(var followUp) = stored.followUp.json
        {
            followUp["judgedAt"] = time(stored.followUpJudgedAt)
            followUp["checkedAt"] = time(stored.followUpCheckedAt)
            fields["followUp"] = .object(followUp)
        }
        return .object(fields)
    }

    static func summary(_ summary: PostmortemSummary) -> JSONValue {
        .object([
            "id": .string(summary.id), "deployId": .string(summary.deployId), "service": .string(summary.service),
            "environment": .string(summary.environment), "severity": .string(summary.severity),
            "status": .string(summary.status),
            "triggers": .array(summary.triggers.map { .string($0) }), "openedAt": time(summary.openedAt),
            "updatedAt": time(summary.updatedAt), "closedAt": time(summary.closedAt),
            "rolledBackAt": time(summary.rolledBackAt),
            "openActionItems": .number(Double(summary.openActionItems)),
            "totalActionItems": .number(Double(summary.totalActionItems)),
        ])
    }

    /// The postmortem document as stored (the `data` of its latest `postmortem.*` event) with
    /// its bookkeeping times and its action items in full.
    static func postmortem(_ record: PostmortemRecord, items: [StoredActionItem], now: Date) -> JSONValue {
        guard case .object(var fields) = record.document else { return record.document }
        fields["openedAt"] = time(record.openedAt)
        fields["updatedAt"] = time(record.updatedAt)
        fields["closedAt"] = time(record.closedAt)
        fields["actionItems"] = .array(items.map { actionItem($0, now: now) })
        return .object(fields)
    }
}
