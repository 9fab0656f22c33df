import DemoScenarios
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import PostmortemService
import Testing

@testable import PostmortemCore

/// The API's reads against several postmortems: the listing pages newest first along its
/// keyset across pages, each page counting its own items, and a postmortem is served as stored.
@Suite("Listings and stored documents", .serialized)
struct ListingTests {
    @Test func postmortemsPageNewestFirstAndServeTheStoredDocument() async throws {
        let scenarios = DemoScenarios.all(endingAt: Date())
        try await ServiceHarness.with { harness in
            try await harness.produce(scenarios)
            let failing = scenarios.filter(\.opensPostmortem).count
            try await harness.wait("every postmortem published") {
                let postmortems = try await harness.count("SELECT count(*) FROM postmortems")
                let unsent = try await harness.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                return postmortems == failing && unsent == 0
            }
            try await Task.sleep(for: .seconds(2))  // late metric batches settle
            // What the database holds, in listing order, with the item counts.
            let stored = try await harness.query { connection in
                try connection.query(
                    """
                    SELECT p.postmortem_id::text, p.document::text,
                           (SELECT count(*) FROM action_items a WHERE a.postmortem_id = p.postmortem_id),
                           (SELECT count(*) FROM action_items a WHERE a.postmortem_id = p.postmortem_id AND a.status IN ('open', 'in_progress'))
                    FROM postmortems p ORDER BY p.opened_at DESC, p.postmortem_id DESC
                    """
                ).map { row in
                    (
                        id: try row.decode(String.self, at: 0), document: try row.decode(String.self, at: 1),
                        items: try row.decode(Int.self, at: 2), open: try row.decode(Int.self, at: 3)
                    )
                }
            }
            #expect(stored.count == failing)

            try await harness.server.httpApplication(port: 0).test(.live) { client in
                let api = APICaller(client: client)
                var listed: [[String: Any]] = []
                var uri = "/v1/postmortems?limit=1"
                while true {
                    let page = try await api.call(.get, uri, token: ServiceHarness.readToken)
                    #expect(page.items.count <= 1)
                    listed += page.items
                    guard let next = page.object["nextCursor"] as? String else { break }
                    uri = "/v1/postmortems?limit=1&cursor=\(next)"
                }
                #expect(
                    listed.compactMap { $0["id"] as? String } == stored.map(\.id),
                    "one page at a time, newest first, none twice")
                #expect(listed.compactMap { $0["totalActionItems"] as? Int } == stored.map(\.items))
                #expect(listed.compactMap { $0["openActionItems"] as? Int } == stored.map(\.open))

                for row in stored {
                    let served = try await api.call(.get, "/v1/postmortems/\(row.id)", token: ServiceHarness.readToken)
                    // Compared as the project's parser reads them: PostgreSQL prints a jsonb number
                    // in full decimal (a p-value of 1e-12 as 0.000000000001), which Foundation's
                    // parser rounds differently from the shortest form the service wrote.
                    guard case .object(var document) = try JSONParser.parse(Array(served.text.utf8), maxDepth: 64)
                    else {
                        throw HarnessError("\(row.id): not a JSON object")
                    }
                    for bookkeeping in ["openedAt", "updatedAt", "closedAt", "actionItems"] {
                        document[bookkeeping] = nil
                    }
                    let storedDocument = try JSONParser.parse(Array(row.document.utf8), maxDepth: 64)
                    #expect(JSONValue.object(document) == storedDocument, "\(row.id) is served as stored")
                    #expect((served.object["actionItems"] as? [Any])?.count == row.items)
                }
            }
        }
    }
}
