import CLibPQ
import Foundation

/// A notification delivered by `NOTIFY channel, 'payload'`.
public struct PostgresNotification: Sendable, Hashable {
    /// The channel it was sent on.
    public var channel: String
    /// The payload, empty when none was given.
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int32

    /// Creates a notification value.
    public init(channel: String, payload: String, senderPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.senderPID = senderPID
    }
}

extension PostgresConnection {
    /// Subscribes this connection to `channel` (`LISTEN`). Notifications arrive through
    /// ``waitForNotifications(timeout:)``.
    public func listen(_ channel: String) throws(PostgresError) {
        let name = try quoteIdentifier(channel)
        try query("LISTEN \(unescaped: name)")
    }

    /// Unsubscribes this connection from `channel`.
    public func unlisten(_ channel: String) throws(PostgresError) {
        let name = try quoteIdentifier(channel)
        try query("UNLISTEN \(unescaped: name)")
    }

    /// Sends `payload` on `channel`; listeners receive it when the current transaction commits.
    public func notify(_ channel: String, payload: String = "") throws(PostgresError) {
        try query("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Returns the notifications that have arrived, waiting up to `timeout` for the first one.
    /// Returns an empty array when none arrived in time.
    public func waitForNotifications(timeout: Duration) throws(PostgresError) -> [PostgresNotification] {
        let handle = try liveHandle()
        var received = try drainNotifications(handle)
        if !received.isEmpty { return received }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(
            clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 && errno != EINTR {
            throw PostgresError(.connectionLost, "waiting for notifications on \(target) failed: errno \(errno)")
        }
        received = try drainNotifications(handle)
        return received
    }

    private func drainNotifications(_ handle: OpaquePointer) throws(PostgresError) -> [PostgresNotification] {
        guard PQconsumeInput(handle) == 1 else { throw connectionError() }
        var received: [PostgresNotification] = []
        while let notification = PQnotifies(handle) {
            received.append(
                PostgresNotification(
                    channel: String(cString: notification.pointee.relname),
                    payload: String(cString: notification.pointee.extra),
                    senderPID: notification.pointee.be_pid))
            PQfreemem(notification)
        }
        return received
    }

    /// Quotes `identifier` for use as an SQL identifier (libpq's `PQescapeIdentifier`).
    public func quoteIdentifier(_ identifier: String) throws(PostgresError) -> String {
        let handle = try liveHandle()
        guard let escaped = PQescapeIdentifier(handle, identifier, identifier.utf8.count) else {
            throw PostgresError(.client, "cannot quote identifier: \(Self.errorMessage(of: handle))")
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }
}
