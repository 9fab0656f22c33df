import Foundation
import Testing

@testable import Postgres

/// The in-place parsers of PostgreSQL's text output, through both entry points (a `String`, and
/// the bytes where libpq keeps a value), including what they must refuse.
@Suite("Text decoding")
struct TextDecodingTests {
    static let bigintTexts: [(text: String, value: Int64?)] = [
        ("0", 0), ("-0", 0), ("+5", 5), ("42", 42), ("-17", -17),
        ("9223372036854775807", .max), ("-9223372036854775808", .min),
        ("9223372036854775808", nil), ("-9223372036854775809", nil), ("99999999999999999999", nil),
        ("", nil), ("-", nil), ("+", nil), ("1a", nil), (" 1", nil), ("1.0", nil), ("--1", nil),
    ]

    @Test(arguments: bigintTexts)
    func bigints(_ text: String, _ value: Int64?) throws {
        try Self.expect(text, decodesAs: value)
    }

    @Test(arguments: [("2147483647", Int32.max), ("-2147483648", Int32.min), ("2147483648", nil), ("x", nil)])
    func int4(_ text: String, _ value: Int32?) throws {
        try Self.expect(text, decodesAs: value)
    }

    @Test(arguments: [("t", true), ("true", true), ("f", false), ("false", false), ("T", nil), ("yes", nil), ("", nil)])
    func booleans(_ text: String, _ value: Bool?) throws {
        try Self.expect(text, decodesAs: value)
    }

    static let timestampTexts: [(text: String, seconds: Double?)] = [
        ("2026-11-26 17:41:58+00", 1_795_714_918), ("2026-11-26 17:41:58.5+00", 1_795_714_918.5),
        ("2026-11-26 17:41:58.123456+00", 1_795_714_918.123456), ("2026-11-26 23:11:58+05:30", 1_795_714_918),
        ("2026-11-26 17:41:58", 1_795_714_918), ("1970-01-01 00:00:00+00", 0),
        ("2026-13-01 00:00:00+00", nil), ("2026-11-26", nil), ("2026-11-26 17:41:58.1234567+00", nil),
        ("2026-11-26 17:41:58+00 trailing", nil), ("", nil),
    ]

    @Test(arguments: timestampTexts)
    func timestamptz(_ text: String, _ seconds: Double?) throws {
        try Self.expect(text, decodesAs: seconds.map { Date(timeIntervalSince1970: $0) })
    }

    @Test func infinityIsTheFarthestDate() throws {
        try Self.expect("infinity", decodesAs: Date.distantFuture)
        try Self.expect("-infinity", decodesAs: Date.distantPast)
    }

    /// `text` decodes as `value` (nil: is refused with the text in the message) from a `String`
    /// and from its bytes alike.
    static func expect<T: PostgresDecodable & Equatable>(_ text: String, decodesAs value: T?) throws {
        let fromText = Result { () throws(PostgresError) in try T(postgresText: text, type: .unknown) }
        let fromBytes = Array(text.utf8).withUnsafeBufferPointer { bytes in
            Result { () throws(PostgresError) in try T(postgresBytes: bytes, type: .unknown) }
        }
        for result in [fromText, fromBytes] {
            switch (result, value) {
            case (.success(let decoded), let value?):
                if let date = decoded as? Date, let expected = value as? Date {
                    #expect(abs(date.timeIntervalSince(expected)) < 1e-6, "\(text)")
                } else {
                    #expect(decoded == value, "\(text)")
                }
            case (.success(let decoded), nil): Issue.record("\(text) decoded as \(decoded), expected a refusal")
            case (.failure(let error), let value?): Issue.record("\(text) refused (\(error)), expected \(value)")
            case (.failure(let error), nil): #expect(error.message.contains("\"\(text)\""), "\(error.message)")
            }
        }
    }
}
