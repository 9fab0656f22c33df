import Postgres
import TestSupport
import Testing

@Suite("LISTEN / NOTIFY")
struct NotificationTests {
    @Test func listenerReceivesNotifyFromAnotherConnection() async throws {
        let configuration = try TestDatabase.fresh()
        let listener = try await PostgresConnection.connect(configuration)
        let sender = try await PostgresConnection.connect(configuration)
        try await listener.listen("outbox events")
        let quiet = try await listener.waitForNotifications(timeout: .milliseconds(50))
        #expect(quiet.isEmpty)

        let senderPID = try await sender.backendPID()
        try await sender.notify("outbox events", payload: "seq=42")
        try await sender.notify("other-channel", payload: "ignored")

        var received: [PostgresNotification] = []
        for _ in 0..<50 where received.isEmpty {
            received = try await listener.waitForNotifications(timeout: .milliseconds(100))
        }
        #expect(received == [PostgresNotification(channel: "outbox events", payload: "seq=42", senderPID: senderPID)])
    }

    @Test func notificationsInATransactionArriveOnlyAfterCommit() async throws {
        let configuration = try TestDatabase.fresh()
        let listener = try await PostgresConnection.connect(configuration)
        let sender = try await PostgresConnection.connect(configuration)
        try await listener.listen("outbox")
        try await sender.run { try $0.query("BEGIN") }
        try await sender.notify("outbox", payload: "pending")
        #expect(try await listener.waitForNotifications(timeout: .milliseconds(200)).isEmpty)
        try await sender.run { try $0.query("COMMIT") }
        var received: [PostgresNotification] = []
        for _ in 0..<50 where received.isEmpty {
            received = try await listener.waitForNotifications(timeout: .milliseconds(100))
        }
        #expect(received.map(\.payload) == ["pending"])
    }

    @Test func unlistenStopsDelivery() async throws {
        let configuration = try TestDatabase.fresh()
        let listener = try await PostgresConnection.connect(configuration)
        let sender = try await PostgresConnection.connect(configuration)
        try await listener.listen("outbox")
        try await sender.notify("outbox", payload: "first")
        var received: [PostgresNotification] = []
        for _ in 0..<50 where received.isEmpty {
            received = try await listener.waitForNotifications(timeout: .milliseconds(100))
        }
        #expect(received.map(\.payload) == ["first"])
        try await listener.unlisten("outbox")
        try await sender.notify("outbox", payload: "second")
        #expect(try await listener.waitForNotifications(timeout: .milliseconds(500)).isEmpty)
    }
}
