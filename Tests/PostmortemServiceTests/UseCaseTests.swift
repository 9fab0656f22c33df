import DemoScenarios
import Foundation
import Testing

@testable import PostmortemCore
@testable import PostmortemService

/// The use cases against ``InMemoryStore``: the rules, without a database (the same use cases
/// run on PostgreSQL in the API, pipeline and convergence suites).
@Suite("Use cases on in-memory repositories")
struct UseCaseTests {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    /// A real analysis with several action items: the manual-rollback demo story.
    static let analysis: Postmortem = {
        let scenario = DemoScenarios.all(endingAt: now).first { $0.name == "manual-rollback-with-impact" }!
        let events = scenario.events.map { try! EventDecoder().decode(json: Array($0.utf8), now: now) }
        return BatchAnalysis().run(events).postmortems.first!
    }()

    // MARK: EditActionItem

    struct EditCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// Statuses of the postmortem's items before the edit (by position; open when not given).
        var before: [ActionItemStatus] = []
        var patch: ActionItemPatch
        var expectedVersion: Int? = nil
        /// The refusal expected, or nil.
        var refusal: ActionItemEditError? = nil
        /// Output event types, in order.
        var events: [String] = []
        /// The postmortem's status afterwards.
        var status: PostmortemStatus = .open
        var testDescription: String { name }
    }

    static var othersDone: [ActionItemStatus] {
        [.open] + Array(repeating: .done, count: analysis.actionItems.count - 1)
    }

    static let editCases: [EditCase] = [
        EditCase(
            name: "assigning an item: one event, the postmortem stays open", patch: ActionItemPatch(owner: "ana"),
            events: ["action_item.assigned.v1"]),
        EditCase(
            name: "completing the last active item closes the postmortem", before: othersDone,
            patch: ActionItemPatch(status: .done), events: ["action_item.completed.v1", "postmortem.closed.v1"],
            status: .closed),
        EditCase(
            name: "cancelling it closes it too", before: othersDone, patch: ActionItemPatch(status: .cancelled),
            events: ["action_item.cancelled.v1", "postmortem.closed.v1"], status: .closed),
        EditCase(
            name: "reopening an item of a closed postmortem reopens it",
            before: [.done] + Array(repeating: .done, count: analysis.actionItems.count - 1),
            patch: ActionItemPatch(status: .open),
            events: ["action_item.reopened.v1", "postmortem.updated.v1"]),
        EditCase(
            name: "completing one of several active items: the postmortem stays open",
            patch: ActionItemPatch(status: .done),
            events: ["action_item.completed.v1"]),
        EditCase(
            name: "reassigned and completed at once: two events, in order", before: othersDone,
            patch: ActionItemPatch(owner: "bo", status: .done),
            events: ["action_item.assigned.v1", "action_item.completed.v1", "postmortem.closed.v1"], status: .closed),
        EditCase(name: "an edit that changes nothing emits nothing", patch: ActionItemPatch(status: .open)),
        EditCase(
            name: "a stale version is refused", patch: ActionItemPatch(owner: "ana"), expectedVersion: 7,
            refusal: .versionMismatch(current: 1)),
        EditCase(
            name: "a transition the lifecycle refuses", before: [.done], patch: ActionItemPatch(status: .inProgress),
            refusal: .illegal(ActionItemTransitionError(status: .done, command: .start))),
    ]

    @Test(arguments: editCases)
    func editActionItem(_ example: EditCase) throws {
        let store = InMemoryStore()
        store.seed(Self.analysis, statuses: example.before, at: Self.now)
        let id = Self.analysis.actionItems[0].id
        let before = try #require(store.items[id])
        let edit = EditActionItem(encoder: OutputEventEncoder())
        let later = Self.now.addingTimeInterval(60)

        do {
            let after = try edit.run(
                id, patch: example.patch, expectedVersion: example.expectedVersion, actor: "ana", now: later, in: store)
            #expect(example.refusal == nil)
            #expect(after.version == before.version + (example.events.isEmpty ? 0 : 1))
            #expect(after.item == store.items[id]?.item, "what it returns is what it stored")
        } catch let refusal as ActionItemEditError {
            #expect(refusal == example.refusal)
            #expect(store.items[id]?.version == before.version)
        }
        #expect(store.deployLocks == [[Self.analysis.deployId]], "the deploy's lock, before the item is read")
        #expect(store.outboxTypes == example.events)
        let record = try #require(store.postmortems[Self.analysis.id])
        #expect(record.status == example.status)
        #expect(
            record.document.object?["status"] == .string(example.status.rawValue), "the stored document says the status"
        )
        if let digest = store.digests[Self.analysis.id] {
            // What re-analysis compares against: the same postmortem analyzed again is unchanged.
            var current = Self.analysis
            current.status = example.status
            #expect(digest == OutputEventEncoder().encode(current, as: .updated, at: .distantPast).id)
        }
    }

    @Test func editEventsAreNumberedPerItemAndContinueTheDeploysLatestTrace() throws {
        let store = InMemoryStore()
        store.seed(Self.analysis, statuses: Self.othersDone, at: Self.now)
        let deployId = Self.analysis.deployId
        // Two stored events of the deploy with a trace context: the later one's trace continues.
        for (id, minute, trace) in [
            ("t-1", "05", "00-11111111111111111111111111111111-1111111111111111-01"),
            ("t-2", "07", "00-22222222222222222222222222222222-2222222222222222-01"),
        ] {
            let event = try Self.accepted(
                #"{"specversion":"1.0","id":"\#(id)","source":"/t","type":"io.deploypostmortem.deploy.rolled_back.v1","traceparent":"\#(trace)","data":{"deployId":"\#(deployId)","service":"api","environment":"prod","mode":"manual","rolledBackAt":"2026-11-26T10:\#(minute):00Z"}}"#
            )
            store.events[event.event.key] = event
        }
        let id = Self.analysis.actionItems[0].id
        let edit = EditActionItem(encoder: OutputEventEncoder())
        _ = try edit.run(
            id, patch: ActionItemPatch(status: .done), expectedVersion: nil, actor: "ana", now: Self.now, in: store)
        _ = try edit.run(
            id, patch: ActionItemPatch(status: .open), expectedVersion: nil, actor: "ana", now: Self.now, in: store)

        #expect(
            store.outboxTypes == [
                "action_item.completed.v1", "postmortem.closed.v1", "action_item.reopened.v1", "postmortem.updated.v1",
            ])
        let events = try store.outbox.map { try #require(JSONParser.parse($0.value, maxDepth: 64).object) }
        let items = events.filter { ($0["type"]?.string ?? "").contains("action_item.") }.compactMap {
            $0["data"]?.object
        }
        #expect(items.map { $0["version"] } == [.number(2), .number(3)], "1 was `created`; one more per event")
        #expect(
            items.allSatisfy {
                $0["service"] == .string(Self.analysis.service)
                    && $0["environment"] == .string(Self.analysis.environment)
            })
        let traces = events.map { $0["traceparent"]?.string.flatMap(TraceParent.init)?.traceID }
        #expect(
            traces == Array(repeating: "22222222222222222222222222222222", count: 4),
            "every event continues the latest trace")
    }

    @Test func editOfAnUnknownItemIsNotFoundAndTouchesNothing() throws {
        let store = InMemoryStore()
        store.seed(Self.analysis, at: Self.now)
        #expect(throws: ActionItemEditError.notFound) {
            try EditActionItem(encoder: OutputEventEncoder()).run(
                UUID().uuidString.lowercased(), patch: ActionItemPatch(owner: "ana"), expectedVersion: nil,
                actor: "ana", now: Self.now,
                in: store)
        }
        #expect(store.deployLocks.isEmpty)
        #expect(store.outbox.isEmpty)
    }

    // MARK: SweepOverdueItems

    @Test func sweepAnnouncesEachItemOncePerDueDate() throws {
        let store = InMemoryStore()
        store.seed(Self.analysis, statuses: [.open, .inProgress, .done], at: Self.now)
        let items = Self.analysis.actionItems
        let overdueAt = try #require(items.map(\.dueAt).max()).addingTimeInterval(1)
        let sweep = SweepOverdueItems()

        let first = try sweep.run(now: overdueAt, in: store)
        let active = items.enumerated().filter { $0.offset != 2 }.map(\.element.id)
        #expect(Set(first) == Set(active), "open and in-progress items past due; not the done one")
        #expect(store.outboxTypes == Array(repeating: "action_item.overdue.v1", count: active.count))
        #expect(store.deployLocks == [[Self.analysis.deployId]])
        #expect(
            try sweep.run(now: overdueAt.addingTimeInterval(3600), in: store).isEmpty, "announced once per due date")

        // Rescheduled into the past again: announced again, for the new date.
        let moved = items[0].id
        store.items[moved]?.item.dueAt = overdueAt.addingTimeInterval(-10)
        #expect(try sweep.run(now: overdueAt, in: store) == [moved])
        #expect(store.items[moved]?.item.overdueReportedFor == overdueAt.addingTimeInterval(-10))
    }

    @Test func sweepLeavesItemsNotYetDueAndYieldsToAnotherReplica() throws {
        let store = InMemoryStore()
        store.seed(Self.analysis, at: Self.now)
        let earliest = try #require(Self.analysis.actionItems.map(\.dueAt).min())
        #expect(try SweepOverdueItems().run(now: earliest, in: store).isEmpty, "due now is not overdue yet")
        store.heldElsewhere = [.overdueSweep]
        #expect(try SweepOverdueItems().run(now: earliest.addingTimeInterval(86_400 * 365), in: store).isEmpty)
        #expect(store.outbox.isEmpty)
        #expect(store.deployLocks.isEmpty)
    }

    @Test func sweepTakesAtMostItsLimitMostOverdueFirst() throws {
        let store = InMemoryStore()
        store.seed(Self.analysis, at: Self.now)
        let items = Self.analysis.actionItems
        let late = try #require(items.map(\.dueAt).max()).addingTimeInterval(1)
        let announced = try SweepOverdueItems(limit: 1).run(now: late, in: store)
        let mostOverdue = items.min { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }?.id
        #expect(announced == [mostOverdue].compactMap { $0 })
    }

    // MARK: ApplyBatch

    static func accepted(_ json: String) throws -> AcceptedEvent {
        let raw = RawEvent(value: Array(json.utf8), headers: [])
        return AcceptedEvent(event: try EventDecoder().decode(raw, now: .distantFuture), raw: raw, origin: nil)
    }

    static func started(_ deployId: String, id: String? = nil) throws -> AcceptedEvent {
        try accepted(
            #"{"specversion":"1.0","id":"\#(id ?? deployId + "-s")","source":"/t","type":"io.deploypostmortem.deploy.started.v1","data":{"deployId":"\#(deployId)","service":"api","environment":"prod","startedAt":"2026-11-26T10:00:00Z"}}"#
        )
    }

    static func rolledBack(_ deployId: String?, mode: String = "automatic") throws -> AcceptedEvent {
        let deploy = deployId.map { #""deployId":"\#($0)","# } ?? ""
        return try accepted(
            #"{"specversion":"1.0","id":"rb-\#(deployId ?? "none")","source":"/t","type":"io.deploypostmortem.deploy.rolled_back.v1","data":{\#(deploy)"service":"api","environment":"prod","mode":"\#(mode)","rolledBackAt":"2026-11-26T10:20:00Z"}}"#
        )
    }

    static func metric(points: [Int]) throws -> AcceptedEvent {
        let list = points.map { #"{"at":"2026-11-26T10:0\#($0):00Z","value":\#($0)}"# }.joined(separator: ",")
        return try accepted(
            #"{"specversion":"1.0","id":"m-\#(points.map(String.init).joined())","source":"/t","type":"io.deploypostmortem.metric.sampled.v1","data":{"service":"api","environment":"prod","metric":"errors","points":[\#(list)]}}"#
        )
    }

    @Test func applyBatchStoresOnceCountsDuplicatesAndQueuesWhatChanged() throws {
        let store = InMemoryStore()
        let apply = ApplyBatch()
        let batch = [
            try Self.started("d-1"), try Self.started("d-1"), try Self.rolledBack("d-1"), try Self.rolledBack(nil),
            try Self.metric(points: [1, 2]),
        ]

        let (outcome, stored) = try apply.run(batch, in: store)
        #expect(stored.count == 3, "a start twice in one batch is stored once")
        #expect(outcome.newEvents == 4, "three deploy events and one metric event")
        #expect(outcome.duplicateEvents == 1)
        #expect(outcome.metricPoints == 2)
        #expect(store.queue.count == 1)
        #expect(
            store.queue[0].deployIds == ["d-1"],
            "the new start's deploy is queued (the step records it); the event without a deploy ID waits for attribution"
        )
        #expect(store.queue[0].metricRanges.map(\.service) == ["api"])

        // The same batch again (a redelivery): nothing stored, nothing queued.
        let (again, storedAgain) = try apply.run(batch, in: store)
        #expect(storedAgain.isEmpty)
        #expect(again.duplicateEvents == 4)
        #expect(again.metricPoints == 0)
        #expect(store.queue.count == 1, "a redelivery queues no analysis")
    }

    @Test func applyBatchKeepsTheSmallestDigestOfConflictingCopiesWhateverTheOrder() throws {
        let copies = [try Self.rolledBack("d-9"), try Self.rolledBack("d-9", mode: "manual")]
        let (smaller, larger) =
            copies[0].event.contentDigest < copies[1].event.contentDigest
            ? (copies[0], copies[1]) : (copies[1], copies[0])
        for arrival in [[smaller, larger], [larger, smaller]] {
            let store = InMemoryStore()
            var conflicting = 0
            for batch in [[arrival[0]], [arrival[1]]] {
                let (outcome, _) = try ApplyBatch().run(batch, in: store)
                conflicting += outcome.events.filter { $0.key.outcome == .conflicting }.values.reduce(0, +)
            }
            #expect(store.events[smaller.event.key]?.event.contentDigest == smaller.event.contentDigest)
            #expect(conflicting == 1, "the second copy is the conflicting one")
        }
    }

    @Test func applyBatchOfOnlyKnownPointsQueuesNothing() throws {
        let store = InMemoryStore()
        _ = try ApplyBatch().run([try Self.metric(points: [3])], in: store)
        let (outcome, _) = try ApplyBatch().run([try Self.metric(points: [3])], in: store)
        #expect(outcome.metricPoints == 0)
        #expect(store.queue.count == 1)
    }
}

extension JSONValue {
    /// The members of an object; nil for other values.
    fileprivate var object: [String: JSONValue]? {
        if case .object(let fields) = self { fields } else { nil }
    }

    /// The text of a string; nil for other values.
    fileprivate var string: String? {
        if case .string(let text) = self { text } else { nil }
    }
}
