import Foundation
import Postgres
import TestSupport
import Testing

@Suite("COPY FROM STDIN")
struct CopyTests {
    @Test func copiesTwoHundredThousandRows() async throws {
        let connection = try await TestDatabase.connection()
        let start = Date(timeIntervalSince1970: 1_795_714_918)
        let (loaded, count, sum) = try await connection.run { connection in
            try connection.query(
                "CREATE TABLE samples (series text, ts timestamptz, value double precision, labels jsonb)")
            let loaded = try connection.copyFrom("COPY samples (series, ts, value, labels) FROM STDIN") { writer in
                for index in 0..<200_000 {
                    writer.field("api.latency_p99")
                    writer.field(start.addingTimeInterval(Double(index)))
                    writer.field(Double(index) * 0.5)
                    writer.field(PostgresJSON(rawJSON: "{\"pod\": \"api-\(index % 3)\"}"))
                    try writer.endRow()
                }
            }
            let totals = try connection.query("SELECT count(*), sum(value), max(ts) FROM samples")[0]
            #expect(try totals.decode(Date.self, at: 2) == start.addingTimeInterval(199_999))
            return (loaded, try totals.decode(Int.self, at: 0), try totals.decode(Double.self, at: 1))
        }
        #expect(loaded == 200_000)
        #expect(count == 200_000)
        let expectedSum: Double = 0.5 * (199_999.0 * 200_000.0 / 2.0)
        #expect(sum == expectedSum)
    }

    @Test func escapesSpecialCharactersAndNulls() async throws {
        let connection = try await TestDatabase.connection()
        let values: [String?] = ["tab\there", "line\nbreak", "cr\rhere", "back\\slash", "\\N", nil, "ünïcødé 🚀", ""]
        let back = try await connection.run { connection in
            try connection.query("CREATE TABLE notes (position int, body text)")
            try connection.copyFrom("COPY notes (position, body) FROM STDIN") { writer in
                for (position, value) in values.enumerated() {
                    try writer.row([position, value])
                }
            }
            return try connection.query("SELECT body FROM notes ORDER BY position").map {
                try $0.decode(String?.self, at: 0)
            }
        }
        #expect(back == values)
    }

    @Test func thrownErrorAbortsTheCopyAndLoadsNothing() async throws {
        struct Stop: Error {}
        let connection = try await TestDatabase.connection()
        try await connection.run { try $0.query("CREATE TABLE t (v int)") }
        await #expect(throws: Stop.self) {
            try await connection.run { connection in
                try connection.copyFrom("COPY t (v) FROM STDIN") { writer in
                    for value in 0..<100_000 {
                        writer.field(value)
                        try writer.endRow()
                    }
                    throw Stop()
                }
            }
        }
        let count = try await connection.run { try $0.query("SELECT count(*) FROM t")[0].decode(Int.self, at: 0) }
        #expect(count == 0)
    }

    @Test func badDataSurfacesTheServerError() async throws {
        let connection = try await TestDatabase.connection()
        try await connection.run { try $0.query("CREATE TABLE t (v int)") }
        let error = await #expect(throws: PostgresError.self) {
            try await connection.run { connection in
                try connection.copyFrom("COPY t (v) FROM STDIN") { writer in
                    writer.field("not a number")
                    try writer.endRow()
                }
            }
        }
        #expect(error?.sqlState == "22P02")
        // The connection is still usable.
        let one = try await connection.run { try $0.query("SELECT 1")[0].decode(Int.self, at: 0) }
        #expect(one == 1)
    }
}
