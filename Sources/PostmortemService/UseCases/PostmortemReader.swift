import Foundation
import Postgres
import PostmortemCore

/// Reads postmortems back as stored (and published): the document the analysis step saved,
/// with the action items as they stand. Nothing here analyzes again; only new events do.
public struct PostmortemReader: Sendable {
    private let pool: PostgresPool
    private let postmortems: PostmortemRepository
    private let actionItems: ActionItemRepository

    init(pool: PostgresPool, postmortems: PostmortemRepository, actionItems: ActionItemRepository) {
        self.pool = pool
        self.postmortems = postmortems
        self.actionItems = actionItems
    }

    /// Deploy IDs of every postmortem, oldest first.
    public func deployIDs() async throws -> [String] {
        try await pool.withConnection { [postmortems] connection in try postmortems.deployIDs(on: connection) }
    }

    /// The postmortem of `deployId` as a domain value (its stored document with the stored
    /// lifecycle of its items), or nil when the deploy has none.
    public func postmortem(ofDeploy deployId: String) async throws -> Postmortem? {
        try await pool.withConnection { [self] connection in
            try postmortems.record(ofDeploy: deployId, on: connection).map { try postmortem($0, on: connection) }
        }
    }

    /// The postmortem with ID `id` as a domain value (see ``postmortem(ofDeploy:)``), or nil.
    func postmortem(id: String) async throws -> Postmortem? {
        try await pool.withConnection { [self] connection in
            try postmortems.record(id: id, on: connection).map { try postmortem($0, on: connection) }
        }
    }

    /// One page of postmortems, newest first.
    func summaries(_ filter: PostmortemFilter) async throws -> Page<PostmortemSummary> {
        try await pool.withConnection { [postmortems] connection in try postmortems.summaries(filter, on: connection) }
    }

    /// The postmortem with ID `id` as stored, or nil.
    func record(id: String) async throws -> PostmortemRecord? {
        try await pool.withConnection { [postmortems] connection in try postmortems.record(id: id, on: connection) }
    }

    /// `record`'s document read back with its items as stored.
    private func postmortem(_ record: PostmortemRecord, on connection: isolated PostgresConnection) throws
        -> Postmortem
    {
        let items = try actionItems.items(ofPostmortem: record.id, on: connection).values.map(\.item)
        do {
            return try Postmortem(document: record.document, actionItems: items)
        } catch {
            throw PostgresError(.decoding, "postmortems.document of \(record.id): \(error)")
        }
    }
}
