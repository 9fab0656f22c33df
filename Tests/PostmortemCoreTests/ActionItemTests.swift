import Foundation
import Testing

@testable import PostmortemCore

@Suite("Action items")
struct ActionItemTests {
    static func postmortem(_ deployId: String, config: AnalysisConfig = AnalysisConfig(), extra: [String] = []) throws
        -> Postmortem
    {
        let s = Scenario.all.first { $0.deployId == deployId }!
        return try #require(
            BatchAnalysis(config: config).run(try Fixture.decode(s.lines + extra)).postmortems.first {
                $0.deployId == deployId
            })
    }

    @Test func dueDateOwnerAndStableIds() throws {
        let p = try Self.postmortem("d-3")
        #expect(p.severity == .sev3)
        #expect(p.detectedAt == RFC3339.parse("2026-11-26T10:30:00Z"))
        #expect(p.actionItems.map { RFC3339.format($0.dueAt) } == Array(repeating: "2026-12-26T10:30:00Z", count: 3))
        #expect(p.actionItems.allSatisfy { $0.owner == "payments" && $0.status == .open && $0.postmortemId == p.id })
        #expect(p.id == StableID.uuid("postmortem|d-3"))
        #expect(
            p.actionItems[0].id
                == ActionItemPlanner.itemId(
                    deployId: "d-3", findingKey: "canary.canary_metric_not_checked:latency_p99_ms"))
        #expect(p.actionItems.map(\.kind) == [.tooling, .tooling, .tooling])
        #expect(p.actionItems[0].evidenceUrl == "https://ci.example.com/deploys/d-3")
        // Re-analysis with more (late) data never changes an existing item's ID.
        let again = try Self.postmortem("d-3", extra: [Fixture.impact("d-3", severity: "low", at: 20)])
        #expect(Set(p.actionItems.map(\.id)).isSubset(of: Set(again.actionItems.map(\.id))))
    }

    @Test func ownershipMapThenDefault() {
        var config = AnalysisConfig()
        config.ownership = ["search": "search-oncall"]
        let planner = ActionItemPlanner(config: config)
        let base = DeployStarted(deployId: "d", service: "search", environment: "prod", startedAt: Fixture.start)
        #expect(planner.owner(of: base) == "search-oncall")
        var withOwner = base
        withOwner.owner = "dana"
        #expect(planner.owner(of: withOwner) == "dana")
        var other = base
        other.service = "cart"
        #expect(planner.owner(of: other) == "unassigned")
    }

    @Test func severityPolicyDrivesDueDate() throws {
        var config = AnalysisConfig()
        config.dueDatePolicy.days[.sev1] = 3
        let p = try Self.postmortem("d-5", config: config)
        #expect(p.severity == .sev1)
        #expect(p.detectedAt == RFC3339.parse("2026-11-26T10:03:00Z"))
        // No gate recorded: one item per gate (an empty postmortem was the r01 defect), due in 3 days.
        #expect(p.actionItems.count == 3)
        #expect(p.actionItems.map { RFC3339.format($0.dueAt) }.allSatisfy { $0 == "2026-11-29T10:03:00Z" })
        let items = try Self.postmortem("d-25", config: config).actionItems
        #expect(items.map { RFC3339.format($0.dueAt) }.allSatisfy { $0 == "2026-12-10T10:01:00Z" })
    }

    static let item = ActionItem(
        id: "i", postmortemId: "p", deployId: "d", findingKey: "k", kind: .test, gate: .ci, title: "t",
        description: "d",
        owner: "o", dueAt: Fixture.start, status: .open)

    @Test(arguments: [
        (ActionItemStatus.open, ActionItemCommand.start, "started:in_progress"),
        (.open, .complete, "completed:done"),
        (.inProgress, .complete, "completed:done"),
        (.open, .cancel, "cancelled:cancelled"),
        (.inProgress, .cancel, "cancelled:cancelled"),
        (.done, .reopen, "reopened:open"),
        (.cancelled, .reopen, "reopened:open"),
        (.inProgress, .assign("erin"), "assigned:in_progress"),
        (.open, .reschedule(Fixture.now), "rescheduled:open"),
        (.open, .attachEvidence("https://ci/run/1"), "evidence_attached:open"),
        (.done, .attachEvidence("https://ci/run/1"), "evidence_attached:done"),
        (.inProgress, .start, "cannot start an action item that is in_progress"),
        (.done, .complete, "cannot complete an action item that is done"),
        (.cancelled, .complete, "cannot complete an action item that is cancelled"),
        (.open, .reopen, "cannot reopen an action item that is open"),
        (.done, .assign("erin"), "cannot assign an action item that is done"),
        (.cancelled, .reschedule(Fixture.now), "cannot reschedule an action item that is cancelled"),
    ])
    func lifecycle(_ from: ActionItemStatus, _ command: ActionItemCommand, _ expected: String) {
        var item = Self.item
        item.status = from
        do {
            let change = try item.applying(command, by: "frank", at: Fixture.now)
            #expect("\(change.type.rawValue):\(change.item.status.rawValue)" == expected)
            #expect(change.previousStatus == from && change.changedBy == "frank" && change.changedAt == Fixture.now)
        } catch {
            #expect(error.description == expected)
        }
    }

    @Test func overdueIsDerivedAndReportedOncePerDueDate() throws {
        let item = Self.item
        #expect(!item.isOverdue(at: Fixture.start))
        #expect(item.isOverdue(at: Fixture.now))
        let first = try #require(item.overdueChange(at: Fixture.now))
        #expect(first.type == .overdue)
        #expect(first.item.overdueReportedFor == Fixture.start)
        #expect(first.item.overdueChange(at: Fixture.now.addingTimeInterval(3600)) == nil)
        let moved = try first.item.applying(.reschedule(Fixture.now.addingTimeInterval(60)), by: "o", at: Fixture.now)
            .item
        #expect(moved.overdueChange(at: Fixture.now) == nil)
        #expect(moved.overdueChange(at: Fixture.now.addingTimeInterval(120))?.type == .overdue)
        let done = try item.applying(.complete, by: "o", at: Fixture.now).item
        #expect(!done.isOverdue(at: Fixture.now))
    }

    @Test func postmortemStatus() throws {
        var items = [Self.item, Self.item]
        #expect(PostmortemStatus.of(items.map(\.status)) == .open)
        items[0].status = .done
        items[1].status = .cancelled
        #expect(PostmortemStatus.of(items.map(\.status)) == .closed)
    }
}

/// How an edit (the API's PATCH body) becomes lifecycle changes.
@Suite("Action item patches")
struct ActionItemPatchTests {
    static let later = Fixture.now.addingTimeInterval(86_400)

    @Test(arguments: [
        (ActionItemStatus.open, ActionItemPatch(status: .inProgress), "started"),
        (.open, ActionItemPatch(owner: "erin", status: .done), "assigned,completed"),
        (.inProgress, ActionItemPatch(status: .done, evidenceUrl: "https://git/c/1"), "evidence_attached,completed"),
        (.done, ActionItemPatch(owner: "erin", status: .open), "reopened,assigned"),
        (.cancelled, ActionItemPatch(status: .open, dueAt: later), "reopened,rescheduled"),
        (.open, ActionItemPatch(owner: "o", status: .open, dueAt: Fixture.start), ""),
        (.done, ActionItemPatch(evidenceUrl: "https://git/c/2"), "evidence_attached"),
        (.inProgress, ActionItemPatch(status: .cancelled), "cancelled"),
        (.inProgress, ActionItemPatch(status: .open), "cannot reopen an action item that is in_progress"),
        (.done, ActionItemPatch(status: .inProgress), "cannot start an action item that is done"),
        (.done, ActionItemPatch(owner: "erin"), "cannot assign an action item that is done"),
        (.cancelled, ActionItemPatch(status: .done), "cannot complete an action item that is cancelled"),
    ])
    func changes(_ from: ActionItemStatus, _ patch: ActionItemPatch, _ expected: String) {
        var item = ActionItemTests.item
        item.status = from
        do {
            let changes = try patch.changes(to: item, by: "frank", at: Fixture.now)
            #expect(changes.map(\.type.rawValue).joined(separator: ",") == expected)
            if let last = changes.last?.item {
                #expect(last.owner == patch.owner ?? item.owner)
                #expect(last.status == patch.status ?? item.status)
                #expect(last.dueAt == patch.dueAt ?? item.dueAt)
                #expect(last.evidenceUrl == patch.evidenceUrl ?? item.evidenceUrl)
            }
            #expect(zip(changes, changes.dropFirst()).allSatisfy { $0.item.status == $1.previousStatus })
        } catch {
            #expect(error.description == expected)
        }
    }
}
