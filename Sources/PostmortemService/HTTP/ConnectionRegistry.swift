import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The open HTTP connections of the server, at most ``limit`` of them.
///
/// A connection is *idle* while it owes its client no answer: it is waiting for a request,
/// receiving a request head, or receiving the rest of a body that was already answered. When a new connection would exceed
/// the limit, the connection idle the longest is closed to make room; when none is idle (every
/// connection is busy with a request), the new one is refused. So a flood of idle or slowloris
/// connections can never lock out a client that actually sends a request, such as the probes,
/// and memory stays bounded by the limit.
final class ConnectionRegistry: Sendable {
    /// A registered connection.
    struct Ticket: Hashable, Sendable {
        fileprivate let id: UInt64
    }

    /// Why the server closed or refused a connection.
    typealias DropReason = DroppedConnectionReason

    private struct Entry {
        let channel: any Channel
        /// When the connection last became idle (an increasing number), nil while busy.
        var idleSince: UInt64?
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        var nextStamp: UInt64 = 0
        /// Idle connections in the order they became idle, oldest first. Entries whose
        /// connection is gone or has been busy since are skipped when read (and pruned).
        var idleQueue: [(stamp: UInt64, id: UInt64)] = []
        var idleHead = 0

        mutating func markIdle(_ id: UInt64) {
            nextStamp += 1
            entries[id]?.idleSince = nextStamp
            idleQueue.append((nextStamp, id))
            if idleQueue.count > 2 * entries.count + 1024 { prune() }
        }

        /// Removes and returns the connection idle the longest.
        mutating func takeOldestIdle() -> Entry? {
            while idleHead < idleQueue.count {
                let (stamp, id) = idleQueue[idleHead]
                idleHead += 1
                if let entry = entries[id], entry.idleSince == stamp {
                    entries[id] = nil
                    return entry
                }
            }
            return nil
        }

        /// Drops queue entries that no longer name an idle connection.
        private mutating func prune() {
            let entries = entries
            idleQueue = idleQueue[idleHead...].filter { entries[$0.id]?.idleSince == $0.stamp }
            idleHead = 0
        }
    }

    /// Connections open at most.
    let limit: Int
    private let state = Mutex(State())
    private let dropped: @Sendable (DropReason) -> Void

    /// A registry of at most `limit` connections; `dropped` is told of every connection the
    /// server closes or refuses (for metrics).
    init(limit: Int, dropped: @escaping @Sendable (DropReason) -> Void = { _ in }) {
        self.limit = limit
        self.dropped = dropped
    }

    /// Connections open now.
    var count: Int { state.withLock { $0.entries.count } }

    /// Registers a new, idle connection, closing the connection idle the longest when the
    /// registry is full. Nil when it is full of busy connections: the caller closes `channel`.
    func open(_ channel: any Channel) -> Ticket? {
        let (ticket, evicted): (Ticket?, (any Channel)?) = state.withLock { state in
            var evicted: (any Channel)?
            if state.entries.count >= limit {
                guard let oldest = state.takeOldestIdle() else { return (nil, nil) }
                evicted = oldest.channel
            }
            state.nextID += 1
            let id = state.nextID
            state.entries[id] = Entry(channel: channel, idleSince: nil)
            state.markIdle(id)
            return (Ticket(id: id), evicted)
        }
        if let evicted {
            evicted.close(promise: nil)
            dropped(.evicted)
        }
        if ticket == nil { dropped(.refused) }
        return ticket
    }

    /// Records whether the connection is idle (may be evicted) or busy with a request.
    func setIdle(_ ticket: Ticket, _ idle: Bool) {
        state.withLock { state in
            guard let entry = state.entries[ticket.id], (entry.idleSince != nil) != idle else { return }
            if idle { state.markIdle(ticket.id) } else { state.entries[ticket.id]?.idleSince = nil }
        }
    }

    /// Forgets a closed connection (nothing when it was evicted already).
    func close(_ ticket: Ticket) {
        _ = state.withLock { $0.entries.removeValue(forKey: ticket.id) }
    }

    /// Records a connection the server closed for `reason`.
    func record(_ reason: DropReason) {
        dropped(reason)
    }

    /// Raises the soft limit of open files (`RLIMIT_NOFILE`) so that `connections` sockets and
    /// `reserve` other descriptors (database, Kafka, files) fit, as far as the hard limit
    /// allows. Returns how many connections fit: `connections`, or fewer (logged) when the hard
    /// limit is lower, so the server stops at its own cap instead of failing `accept`.
    static func fitDescriptorLimit(connections: Int, reserve: Int = 1024, logger: Logger) -> Int {
        #if canImport(Glibc) || canImport(Darwin)
            var limits = rlimit()
            guard getrlimit(resourceNoFile, &limits) == 0 else { return connections }
            let needed = rlim_t(connections + reserve)
            if limits.rlim_cur < needed {  // RLIM_INFINITY is the largest value
                var raised = limits
                raised.rlim_cur = min(needed, limits.rlim_max)
                if setrlimit(resourceNoFile, &raised) == 0 { limits = raised }
            }
            guard limits.rlim_cur < needed else { return connections }
            let fitting = max(16, Int(limits.rlim_cur) - reserve)
            logger.warning(
                "open-file limit too low for HTTP_MAX_CONNECTIONS; capping connections lower",
                metadata: [
                    "HTTP_MAX_CONNECTIONS": "\(connections)", "RLIMIT_NOFILE": "\(limits.rlim_cur)",
                    "connections": "\(fitting)",
                ])
            return fitting
        #else
            return connections
        #endif
    }

    #if canImport(Glibc)
        private static let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #elseif canImport(Darwin)
        private static let resourceNoFile = RLIMIT_NOFILE
    #endif
}
