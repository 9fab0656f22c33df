import Foundation
import PostmortemCore
import Testing

/// The rules the service's SQL binds as parameters instead of spelling them again.
@Suite("Rules the stores bind")
struct StoredRulesTests {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)

    struct SpanCase: Sendable, CustomTestStringConvertible {
        var name: String
        var rolledBackAfter: Double?
        var config = AnalysisConfig()
        /// Seconds from the start.
        var first: Double
        var last: Double
        var testDescription: String { name }
    }

    static let spans: [SpanCase] = [
        SpanCase(
            name: "never rolled back: baseline before, longest observation after, plus grace", first: -3600,
            last: 7200 + 300),
        SpanCase(
            name: "rolled back: up to the rollback plus grace", rolledBackAfter: 900, first: -3600, last: 900 + 300),
        SpanCase(
            name: "configured windows", rolledBackAfter: nil,
            config: {
                var config = AnalysisConfig()
                config.baselineWindow = 60
                config.maxObservationWindow = 120
                config.rollbackGrace = 0
                return config
            }(),
            first: -60, last: 120),
        SpanCase(
            name: "a rollback before the baseline still gives a span", rolledBackAfter: -10_000, first: -3600,
            last: -3600),
    ]

    @Test(arguments: spans)
    func metricSpan(_ example: SpanCase) {
        let span = example.config.metricSpan(
            startedAt: Self.start, rolledBackAt: example.rolledBackAfter.map { Self.start.addingTimeInterval($0) })
        #expect(span.lowerBound.timeIntervalSince(Self.start) == example.first)
        #expect(span.upperBound.timeIntervalSince(Self.start) == example.last)
    }

    @Test(arguments: ActionItemStatus.allCases)
    func activeStatusesAreTheOnesStillToDo(_ status: ActionItemStatus) {
        let item = ActionItem(
            id: "i", postmortemId: "p", deployId: "d", findingKey: "k", kind: .test, gate: .ci, title: "t",
            description: "d",
            owner: "o", dueAt: Self.start, status: status)
        #expect(ActionItemStatus.active.contains(status) == item.isOverdue(at: Self.start.addingTimeInterval(1)))
        #expect(ActionItemStatus.active.contains(status) == !status.isTerminal)
    }
}
