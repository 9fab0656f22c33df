import Foundation

/// Fast conversion between `Date` and PostgreSQL's ISO timestamp text
/// (`2026-11-26 17:41:58.123456+00`), with microsecond precision and no `DateFormatter`.
enum PostgresTimestamp {
    private static let microsPerSecond: Int64 = 1_000_000
    private static let microsPerDay: Int64 = 86_400 * microsPerSecond

    /// Appends `date` as a UTC timestamp with microseconds.
    static func append(_ date: Date, to buffer: inout [UInt8]) {
        let micros = Int64((date.timeIntervalSince1970 * 1e6).rounded())
        let (days, microsOfDay) = floorDivide(micros, microsPerDay)
        var (year, month, day) = civilDate(fromDaysSinceEpoch: days)
        let bc = year <= 0
        if bc { year = 1 - year }
        appendPadded(year, width: 4, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendPadded(month, width: 2, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendPadded(day, width: 2, to: &buffer)
        buffer.append(UInt8(ascii: " "))
        let seconds = microsOfDay / microsPerSecond
        appendPadded(seconds / 3600, width: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        appendPadded(seconds / 60 % 60, width: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        appendPadded(seconds % 60, width: 2, to: &buffer)
        buffer.append(UInt8(ascii: "."))
        appendPadded(microsOfDay % microsPerSecond, width: 6, to: &buffer)
        buffer.append(contentsOf: "+00".utf8)
        if bc { buffer.append(contentsOf: " BC".utf8) }
    }

    /// Parses `timestamptz` / `timestamp` output in the ISO `DateStyle` (the server default).
    /// A timestamp without an offset is read as UTC. `infinity` maps to `Date.distantFuture`.
    static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Date? {
        if text.elementsEqual("infinity".utf8) { return .distantFuture }
        if text.elementsEqual("-infinity".utf8) { return .distantPast }
        var scanner = ByteScanner(text)
        guard var year = scanner.integer(), scanner.skip("-"),
            let month = scanner.integer(), scanner.skip("-"),
            let day = scanner.integer(), scanner.skip(" ") || scanner.skip("T"),
            let hour = scanner.integer(), scanner.skip(":"),
            let minute = scanner.integer(), scanner.skip(":"),
            let second = scanner.integer()
        else { return nil }
        var micros: Int64 = 0
        if scanner.skip(".") {
            guard let (fraction, digits) = scanner.integerWithDigits(), digits <= 6 else { return nil }
            micros = fraction * Int64(pow(10, Double(6 - digits)))
        }
        var offsetSeconds: Int64 = 0
        if let sign = scanner.sign() {
            guard let hours = scanner.integer() else { return nil }
            var offset = hours * 3600
            if scanner.skip(":") {
                guard let minutes = scanner.integer() else { return nil }
                offset += minutes * 60
                if scanner.skip(":") {
                    guard let seconds = scanner.integer() else { return nil }
                    offset += seconds
                }
            }
            offsetSeconds = sign * offset
        }
        if scanner.skip(" BC") { year = 1 - year }
        guard scanner.isAtEnd, (1...12).contains(month), (1...31).contains(day) else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let total = seconds * microsPerSecond + micros
        return Date(timeIntervalSince1970: Double(total) / 1e6)
    }

    private static func appendPadded(_ value: Int64, width: Int, to buffer: inout [UInt8]) {
        var digits = 1
        var limit: Int64 = 10
        while value >= limit && digits < 19 {
            digits += 1
            limit *= 10
        }
        for _ in digits..<max(width, digits) { buffer.append(UInt8(ascii: "0")) }
        appendDecimal(value, to: &buffer)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let quotient = a / b
        let remainder = a % b
        return remainder < 0 ? (quotient - 1, remainder + b) : (quotient, remainder)
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
    private static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilDate(fromDaysSinceEpoch days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A cursor over ASCII bytes for the small parsers of PostgreSQL's text formats. It reads a
/// result value where libpq keeps it, so it must not outlive that buffer.
struct ByteScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    var isAtEnd: Bool { index == bytes.count }

    /// Consumes `literal` if the input continues with it.
    mutating func skip(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// Consumes `+` or `-` and returns 1 or -1.
    mutating func sign() -> Int64? {
        if skip("+") { return 1 }
        if skip("-") { return -1 }
        return nil
    }

    /// Consumes a run of decimal digits.
    mutating func integer() -> Int64? { integerWithDigits()?.value }

    /// Consumes a run of decimal digits, returning the value and how many digits it had.
    mutating func integerWithDigits() -> (value: Int64, digits: Int)? {
        var value: Int64 = 0
        var digits = 0
        while index != bytes.count, case let byte = bytes[index],
            byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 18
        {
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
            index += 1
        }
        return digits == 0 ? nil : (value, digits)
    }
}
