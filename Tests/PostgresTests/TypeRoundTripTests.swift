import Foundation
import Postgres
import TestSupport
import Testing

/// Every supported type goes to the server as a parameter, is cast to its SQL type, stored,
/// and comes back equal: NULLs, extremes, unicode, large documents and arrays included.
@Suite("Type round trips")
struct TypeRoundTripTests {
    /// Sends `value` as `$1::sqlType`, stores it in a column of that type and reads it back.
    static func roundTrip<T: PostgresEncodable & PostgresDecodable>(
        _ value: T, as sqlType: String, on connection: PostgresConnection
    ) async throws -> T {
        try await connection.run { connection in
            let table =
                "rt_" + sqlType.replacingOccurrences(of: "[]", with: "_array").filter { $0.isLetter || $0 == "_" }
            try connection.query("DROP TABLE IF EXISTS \(unescaped: table)")
            try connection.query("CREATE TEMP TABLE \(unescaped: table) (v \(unescaped: sqlType))")
            try connection.query("INSERT INTO \(table) (v) VALUES ($1::\(sqlType))", [value])
            let rows = try connection.query("SELECT v FROM \(unescaped: table)")
            #expect(rows.count == 1)
            return try rows[0].decode(T.self, at: 0)
        }
    }

    static let texts = [
        "", "plain", "unicode: Grüße, 日本語, emoji 🚀👩🏽‍💻", "quotes ' \" and backslash \\ and \\N",
        "tab\tnewline\ncarriage\rreturn", String(repeating: "long text ", count: 10_000),
    ]

    @Test(arguments: texts)
    func text(_ value: String) async throws {
        let connection = try await TestDatabase.connection()
        #expect(try await Self.roundTrip(value, as: "text", on: connection) == value)
    }

    @Test(arguments: [Int.min, -1, 0, 1, 42, Int.max])
    func bigint(_ value: Int) async throws {
        let connection = try await TestDatabase.connection()
        #expect(try await Self.roundTrip(value, as: "bigint", on: connection) == value)
    }

    @Test(arguments: [Int32.min, -7, 0, Int32.max])
    func integer(_ value: Int32) async throws {
        let connection = try await TestDatabase.connection()
        #expect(try await Self.roundTrip(value, as: "integer", on: connection) == value)
    }

    @Test(arguments: [0.0, -0.5, 3.141592653589793, 1e-300, 1.7976931348623157e308, -123456789.125, 0.1 + 0.2, 1e16])
    func doublePrecision(_ value: Double) async throws {
        let connection = try await TestDatabase.connection()
        #expect(try await Self.roundTrip(value, as: "double precision", on: connection) == value)
    }

    @Test func doubleSpecialValues() async throws {
        let connection = try await TestDatabase.connection()
        #expect(try await Self.roundTrip(Double.infinity, as: "double precision", on: connection) == .infinity)
        #expect(try await Self.roundTrip(-Double.infinity, as: "double precision", on: connection) == -.infinity)
        #expect(try await Self.roundTrip(Double.nan, as: "double precision", on: connection).isNaN)
    }

    @Test(arguments: [true, false])
    func boolean(_ value: Bool) async throws {
        let connection = try await TestDatabase.connection()
        #expect(try await Self.roundTrip(value, as: "boolean", on: connection) == value)
    }

    static let dates: [Date] = [
        Date(timeIntervalSince1970: 0),
        Date(timeIntervalSince1970: 1_795_714_918.123456),  // 2026-11-26 17:41:58.123456 UTC
        Date(timeIntervalSince1970: -1_000_000_000.5),  // before 1970
        Date(timeIntervalSince1970: 32_503_680_000),  // year 3000
        Date(timeIntervalSince1970: -62_135_596_800 - 86_400 * 366),  // 1 BC
    ]

    @Test(arguments: dates)
    func timestamptz(_ value: Date) async throws {
        let connection = try await TestDatabase.connection()
        let back = try await Self.roundTrip(value, as: "timestamptz", on: connection)
        #expect(abs(back.timeIntervalSince1970 - value.timeIntervalSince1970) < 1e-6)
    }

    @Test(arguments: ["UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"])
    func timestamptzIsReadInAnySessionTimeZone(_ zone: String) async throws {
        let connection = try await TestDatabase.connection()
        let instant = try await connection.run { connection in
            try connection.query("SET TimeZone = '\(unescaped: zone)'")
            return try connection.query("SELECT '2026-11-26 17:41:58.25+00'::timestamptz")[0].decode(Date.self, at: 0)
        }
        #expect(instant == Date(timeIntervalSince1970: 1_795_714_918.25))
    }

    @Test func uuid() async throws {
        let connection = try await TestDatabase.connection()
        let value = UUID()
        #expect(try await Self.roundTrip(value, as: "uuid", on: connection) == value)
    }

    @Test func largeJSONB() async throws {
        struct Point: Codable, Equatable {
            var at: String
            var value: Double
            var labels: [String: String]
        }
        let document = (0..<20_000).map {
            Point(at: "t\($0)", value: Double($0) / 3, labels: ["pod": "api-\($0 % 7)", "note": "ünïcødé \"q\""])
        }
        let connection = try await TestDatabase.connection()
        let back = try await Self.roundTrip(try PostgresJSON(encoding: document), as: "jsonb", on: connection)
        #expect(back.text.utf8.count > 1_000_000)
        #expect(try back.decode([Point].self) == document)
    }

    @Test func textArrays() async throws {
        let connection = try await TestDatabase.connection()
        let values: [[String]] = [
            [], ["a"], ["with space", "comma,inside", "quote\"inside", "back\\slash", "{brace}", "NULL", "日本"],
        ]
        for value in values {
            #expect(try await Self.roundTrip(value, as: "text[]", on: connection) == value)
        }
    }

    @Test func arraysOfNumbersTimesAndNulls() async throws {
        let connection = try await TestDatabase.connection()
        #expect(try await Self.roundTrip([1, -2, Int.max], as: "bigint[]", on: connection) == [1, -2, Int.max])
        #expect(try await Self.roundTrip([0.5, -1e10], as: "double precision[]", on: connection) == [0.5, -1e10])
        #expect(try await Self.roundTrip([true, false], as: "boolean[]", on: connection) == [true, false])
        let optionals: [String?] = ["x", nil, "NULL", nil]
        #expect(try await Self.roundTrip(optionals, as: "text[]", on: connection) == optionals)
        let dates = [Date(timeIntervalSince1970: 1), Date(timeIntervalSince1970: 1_795_714_918.5)]
        #expect(try await Self.roundTrip(dates, as: "timestamptz[]", on: connection) == dates)
    }

    @Test func nullsDecodeIntoOptionalsAndAreRejectedOtherwise() async throws {
        let connection = try await TestDatabase.connection()
        let none: String? = nil
        #expect(try await Self.roundTrip(none, as: "text", on: connection) == nil)
        #expect(try await Self.roundTrip(Int?.none, as: "bigint", on: connection) == nil)
        #expect(try await Self.roundTrip(Date?.none, as: "timestamptz", on: connection) == nil)
        #expect(try await Self.roundTrip(UUID?.none, as: "uuid", on: connection) == nil)
        #expect(try await Self.roundTrip(PostgresJSON?.none, as: "jsonb", on: connection) == nil)
        #expect(try await Self.roundTrip([Int]?.none, as: "bigint[]", on: connection) == nil)
        let error = await #expect(throws: PostgresError.self) {
            try await connection.run { try $0.query("SELECT NULL::text")[0].decode(String.self, at: 0) }
        }
        #expect(error?.kind == .decoding)
        #expect(error?.message.contains("NULL") == true)
    }

    @Test func decodingByColumnNameAndTypeMismatch() async throws {
        let connection = try await TestDatabase.connection()
        let rows = try await connection.run { try $0.query("SELECT 7 AS \"Count\", 'seven' AS word") }
        #expect(try rows[0].decode(Int.self, named: "Count") == 7)
        #expect(try rows[0].decode(String.self, named: "word") == "seven")
        #expect(rows.columnNames == ["Count", "word"])
        let mismatch = #expect(throws: PostgresError.self) { try rows[0].decode(Int.self, named: "word") }
        #expect(mismatch?.message == "column \"word\": cannot decode Int from \"seven\" (type oid 25)")
        let missing = #expect(throws: PostgresError.self) { try rows[0].decode(Int.self, named: "absent") }
        #expect(missing?.message == "no column named \"absent\" in result")
    }

    @Test func parametersAreNeverInterpolated() async throws {
        let connection = try await TestDatabase.connection()
        let hostile = "x'); DROP TABLE victims; --"
        let count = try await connection.run { connection in
            try connection.query("CREATE TEMP TABLE victims (name text)")
            try connection.query("INSERT INTO victims (name) VALUES ($1)", [hostile])
            return try connection.query("SELECT count(*) FROM victims WHERE name = $1", [hostile])[0].decode(
                Int.self, at: 0)
        }
        #expect(count == 1)
    }
}
