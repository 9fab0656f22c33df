import Foundation

/// Number formatting shared by findings and rendering: six significant digits, no trailing zeros
/// (0.997 stays 0.997, 120 stays 120). Never overflows: a value too large to carry decimals is
/// printed as it is. JSON output carries the full-precision values.
public func formatNumber(_ value: Double) -> String {
    guard value.isFinite, value != 0, abs(value) < 1e15 else { return JSONValue.format(number: value) }
    let decimals = max(0, 5 - Int(floor(log10(abs(value)))))
    let scale = pow(10, Double(decimals))
    return JSONValue.format(number: (value * scale).rounded() / scale)
}

/// A duration as people say it: `45 s` under two minutes, whole minutes under an hour (`25 min`),
/// hours and minutes beyond (`1 h 57 min`, `2 h`). Rounded to the nearest second or minute.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "\(formatNumber(seconds)) s" }
    let s = seconds.rounded()
    if abs(s) < 120 { return "\(Int(s)) s" }
    guard abs(s) < 1e15 else { return "\(formatNumber(s / 3600)) h" }
    let minutes = Int((s / 60).rounded())
    if abs(minutes) < 60 { return "\(minutes) min" }
    let (hours, rest) = (minutes / 60, abs(minutes % 60))
    return rest == 0 ? "\(hours) h" : "\(hours) h \(rest) min"
}

/// A duration to recommend, rounded up to a step people would configure: whole minutes up to
/// 10 min, 5 min up to 1 h, 15 min up to 4 h, whole hours beyond (7,020 s becomes 2 h).
func roundUpDuration(_ seconds: Double) -> Double {
    let step: Double = seconds <= 600 ? 60 : seconds <= 3600 ? 300 : seconds <= 14_400 ? 900 : 3600
    return max(step, (seconds / step).rounded(.up) * step)
}

/// A time of day as a postmortem states it: `14:07 UTC`, with seconds when they are not 0
/// (`14:07:30 UTC`).
func formatClock(_ date: Date) -> String {
    let text = RFC3339.format(date)
    let utf8 = Array(text.utf8)
    guard utf8.count >= 19 else { return text }
    let seconds = String(decoding: utf8[17..<19], as: UTF8.self)
    return String(decoding: utf8[11..<16], as: UTF8.self) + (seconds == "00" ? "" : ":" + seconds) + " UTC"
}
