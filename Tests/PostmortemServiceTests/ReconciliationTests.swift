import DemoScenarios
import Foundation
import PostmortemCore
import Testing

@testable import PostmortemService

/// What re-analysis does to stored action items (``PostmortemStore/reconcile(_:with:at:)``):
/// the analysis decides which items exist and what they say; owners' lifecycle choices stand.
@Suite("Action-item reconciliation")
struct ReconciliationTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    /// A real analysis with several action items: the manual-rollback demo story.
    static let analysis: Postmortem = {
        let scenario = DemoScenarios.all(endingAt: now).first { $0.name == "manual-rollback-with-impact" }!
        let events = scenario.events.map { try! EventDecoder().decode(json: Array($0.utf8), now: now) }
        return BatchAnalysis().run(events).postmortems.first!
    }()

    /// A stored item as the case describes it: the analysis's first item (or one it no longer
    /// plans), in `status`, superseded or not, with its title as stored.
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var planned = true
        var status: ActionItemStatus = .open
        var superseded = false
        var staleTitle = false
        /// Stored with another due date than the analysis gives (planned under another severity).
        var staleDueDate = false
        /// Its owner rescheduled it.
        var rescheduled = false
        /// Expected event types, in order, and the superseded mark written (nil: left).
        var expected: [ActionItemEventType]
        var mark: Bool?
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "finding gone, open: cancelled as superseded", planned: false, expected: [.cancelled], mark: true),
        Case(
            name: "finding gone, in progress: cancelled as superseded", planned: false, status: .inProgress,
            expected: [.cancelled], mark: true),
        Case(name: "finding gone, done by its owner: left", planned: false, status: .done, expected: []),
        Case(name: "finding gone, cancelled by its owner: left", planned: false, status: .cancelled, expected: []),
        Case(
            name: "finding gone, already superseded: left", planned: false, status: .cancelled, superseded: true,
            expected: []),
        Case(
            name: "finding gone, superseded then reopened by its owner: left", planned: false, superseded: true,
            expected: []),
        Case(
            name: "finding back after being superseded: reopened", status: .cancelled, superseded: true,
            expected: [.reopened], mark: false),
        Case(
            name: "finding back with new figures: reopened and revised", status: .cancelled, superseded: true,
            staleTitle: true,
            expected: [.reopened, .revised], mark: false),
        Case(name: "superseded, reopened by its owner, finding back: left", superseded: true, expected: []),
        Case(
            name: "figures changed, in progress: revised, still in progress", status: .inProgress, staleTitle: true,
            expected: [.revised]),
        Case(name: "figures changed, done: revised, still done", status: .done, staleTitle: true, expected: [.revised]),
        Case(
            name: "due date from an earlier severity, never rescheduled: revised to the policy's date",
            staleDueDate: true, expected: [.revised]),
        Case(name: "due date rescheduled by its owner: kept", staleDueDate: true, rescheduled: true, expected: []),
        Case(
            name: "figures changed, due date rescheduled by its owner: revised, date kept", staleTitle: true,
            staleDueDate: true, rescheduled: true, expected: [.revised]),
        Case(name: "unchanged: nothing", expected: []),
        Case(name: "unchanged and cancelled by its owner: nothing", status: .cancelled, expected: []),
    ]

    @Test(arguments: cases)
    func reconcile(_ c: Case) throws {
        var analysis = Self.analysis
        var item = try #require(analysis.actionItems.first)
        if !c.planned { analysis.actionItems.removeFirst() }
        item.status = c.status
        item.owner = "owner-who-took-it"
        if c.staleTitle { item.title = "Canary took 1080s" }
        let ownersDate = item.dueAt.addingTimeInterval(53 * 86_400)
        if c.staleDueDate { item.dueAt = ownersDate }
        let stored = StoredActionItem(
            item: item, version: 3, createdAt: Self.now, updatedAt: Self.now, superseded: c.superseded,
            rescheduled: c.rescheduled)

        let result = PostmortemStore.reconcile([item.id: stored], with: analysis, at: Self.now)

        #expect(result.flatMap(\.changes).map(\.type) == c.expected)
        #expect(result.first?.superseded == c.mark)
        guard let after = result.first?.changes.last?.item else { return }
        #expect(after.owner == "owner-who-took-it", "an owner's assignment is never overwritten")
        #expect(after.dueAt == (c.rescheduled ? ownersDate : Self.analysis.actionItems[0].dueAt))
        if c.expected.last == .revised {
            #expect(after.title == Self.analysis.actionItems[0].title)
            #expect(after.status == (c.expected.first == .reopened ? .open : c.status))
        }
        if c.expected == [.cancelled] {
            #expect(after.status == .cancelled)
            #expect(result[0].changes[0].reason?.hasPrefix("superseded: re-analysis no longer finds ") == true)
        }
    }
}
