import Foundation
import Postgres
import Testing

@Suite("Overdue sweeper", .serialized)
struct OverdueSweeperTests {
    static let overdue = "io.deploypostmortem.action_item.overdue.v1"

    @Test func announcesEachItemOncePerDueDateAcrossConcurrentSweeps() async throws {
        // A week after the sample's items fell due (2026-12-03).
        let later = Date(timeIntervalSince1970: 1_796_774_400)  // 2026-12-09T00:00:00Z
        try await ServiceHarness.with(clock: { later }) { harness in
            try await harness.produce(SampleEvents.lines)
            try await harness.waitUntilSettled("the action items", messages: SampleEvents.lines.count)
            try #require(try await harness.count("SELECT count(*) FROM action_items") == 5)

            async let first = harness.server.sweeper.sweep()
            async let second = harness.server.sweeper.sweep()
            let announced = try await first + second
            #expect(announced == 5)
            #expect(try await harness.server.sweeper.sweep() == 0)
            let countOverdue = "SELECT count(*) FROM outbox WHERE payload::jsonb->>'type' = '\(Self.overdue)'"
            #expect(try await harness.count(countOverdue) == 5)

            // Moving a due date (still in the past) makes that item overdue once more.
            _ = try await harness.query { connection in
                try connection.query(
                    "UPDATE action_items SET due_at = due_at + interval '1 day' WHERE action_item_id = (SELECT min(action_item_id::text)::uuid FROM action_items)"
                )
            }
            #expect(try await harness.server.sweeper.sweep() == 1)
            #expect(try await harness.server.sweeper.sweep() == 0)

            let events = try await harness.read(harness.configuration.topics.actionItems, count: 11)
            #expect(events.filter { PipelineTests.type(of: $0) == Self.overdue }.count == 6)
            #expect(Set(events.map { PipelineTests.field("id", of: $0) }).count == events.count)
        }
    }

    @Test func waitsForTheDeploysLockSoAMovedDueDateIsSeen() async throws {
        let later = Date(timeIntervalSince1970: 1_796_774_400)  // 2026-12-09T00:00:00Z
        try await ServiceHarness.with(clock: { later }) { harness in
            try await harness.produce(SampleEvents.lines)
            try await harness.waitUntilSettled("the action items", messages: SampleEvents.lines.count)
            try #require(try await harness.count("SELECT count(*) FROM action_items") == 5)
            // An edit of d-42 holds its lock and moves every due date past the sweeper's clock.
            let editor = try await PostgresConnection.connect(harness.database)
            try await editor.run { connection in
                try connection.query("BEGIN")
                try connection.query("SELECT pg_advisory_xact_lock(hashtextextended('d-42', 0))")
                try connection.query("UPDATE action_items SET due_at = '2027-01-01T00:00:00Z'")
            }
            let sweep = Task { try await harness.server.sweeper.sweep() }
            try await Task.sleep(for: .milliseconds(300))
            try await editor.run { connection in try connection.query("COMMIT") }
            // The sweep read the items after the edit committed: nothing is overdue any more.
            #expect(try await sweep.value == 0)
            #expect(
                try await harness.count("SELECT count(*) FROM outbox WHERE payload::jsonb->>'type' = '\(Self.overdue)'")
                    == 0)
            await editor.close()
        }
    }
}
