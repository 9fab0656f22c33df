import Foundation

/// An ISO 8601 week (Monday to Sunday, UTC), e.g. `2026-W02`.
public struct ISOWeek: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Monday 00:00 UTC of the week.
    public let start: Date

    /// The week holding `date` (UTC).
    public init(containing date: Date) {
        let days = (date.timeIntervalSince1970 / 86_400).rounded(.down)
        // 1970-01-01 was a Thursday: Monday-based weekday index = (days + 3) mod 7.
        let weekday = (Int(days) % 7 + 7 + 3) % 7
        start = Date(timeIntervalSince1970: (days - Double(weekday)) * 86_400)
    }

    /// The week after this one.
    public var next: ISOWeek { ISOWeek(containing: start.addingTimeInterval(7 * 86_400)) }

    /// `YYYY-Www`: the ISO week-numbering year (that of the week's Thursday) and week number.
    public var description: String {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let thursday = start.addingTimeInterval(3 * 86_400)
        let year = calendar.component(.yearForWeekOfYear, from: thursday)
        let week = calendar.component(.weekOfYear, from: thursday)
        return "\(year)-W\(week < 10 ? "0" : "")\(week)"
    }

    /// Orders by start.
    public static func < (lhs: ISOWeek, rhs: ISOWeek) -> Bool { lhs.start < rhs.start }

    /// Every week that overlaps `[from, to)`, in order.
    public static func weeks(from: Date, to: Date) -> [ISOWeek] {
        var weeks: [ISOWeek] = []
        var week = ISOWeek(containing: from)
        while week.start < to {
            weeks.append(week)
            week = week.next
        }
        return weeks
    }
}
