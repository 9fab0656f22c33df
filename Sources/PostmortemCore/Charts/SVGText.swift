import Foundation

/// Text and number output for the charts' SVG: XML escaping, fixed (locale-free) number
/// formats, and width estimates for laying labels out. Everything here is deterministic.
enum SVGText {
    /// `text` safe as XML character data or a quoted attribute value: `&`, `<`, `>`, `"` and `'`
    /// escaped; characters XML 1.0 forbids (controls other than tab, newline and carriage
    /// return, U+FFFE, U+FFFF) replaced with U+FFFD, so the document always parses.
    static func escape(_ text: String) -> String {
        // Most text needs nothing: no markup byte, no control, no U+F000–U+FFFF lead byte 0xEF.
        let needsWork = text.utf8.contains { byte in
            byte < 0x20 || byte == 0xEF || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<")
                || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
        }
        guard needsWork else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(isAllowed(scalar) ? scalar : "\u{FFFD}")
            }
        }
        return out
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: true
        case 0..<0x20, 0xFFFE, 0xFFFF: false
        default: true
        }
    }

    /// A coordinate with at most one decimal (`12`, `12.5`, `-3.2`); a non-finite value as `0`
    /// (callers never pass one: this only keeps a mistake from writing `nan` into a document).
    static func coordinate(_ value: Double) -> String {
        var bytes: [UInt8] = []
        appendCoordinate(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``coordinate(_:)`` of `value` to `bytes` (the path of thousands of samples is
    /// written byte by byte).
    static func appendCoordinate(_ value: Double, to bytes: inout [UInt8]) {
        let tenths = value.isFinite ? Int64((min(max(value, -1e9), 1e9) * 10).rounded()) : 0
        if tenths < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = tenths.magnitude
        appendDigits(magnitude / 10, to: &bytes)
        if magnitude % 10 != 0 {
            bytes.append(UInt8(ascii: "."))
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
        }
    }

    private static func appendDigits(_ value: UInt64, to bytes: inout [UInt8]) {
        let start = bytes.count
        var rest = value
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        bytes[start...].reverse()
    }

    /// `value` with exactly `decimals` decimals (0–15), no locale, no exponent: `fixed(0.25, 1)`
    /// is `0.3` (half away from zero), `fixed(-0.0, 0)` is `0`.
    static func fixed(_ value: Double, decimals: Int) -> String {
        let decimals = min(max(decimals, 0), 15)
        let scale = pow(10, Double(decimals))
        let scaled = (value * scale).rounded()
        guard scaled.isFinite, abs(scaled) < 9e18 else { return formatNumber(value) }
        let units = Int64(scaled)
        let sign = units < 0 ? "-" : ""
        let magnitude = units.magnitude
        let power = UInt64(scale)
        guard decimals > 0 else { return sign + String(magnitude) }
        let fraction = String(magnitude % power)
        return sign + String(magnitude / power) + "."
            + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// A tick label for `value` on an axis whose ticks are `step` apart: as many decimals as the
    /// step needs (`0.25`, `1.5`, `120`), in scientific form (`1.5e6`, `2e-5`) when the value is
    /// at least a million or the step below 0.0001.
    static func tick(_ value: Double, step: Double) -> String {
        guard value.isFinite, step.isFinite, step > 0 else { return formatNumber(value) }
        if abs(value) < step / 2 { return "0" }
        let stepExponent = Int(floor(log10(step) + 1e-9))
        let mantissaStep = step / pow(10, Double(stepExponent))
        // 1-2-5 steps need no extra decimal; a 2.5 step (scaled domains) needs one.
        let extra = abs(mantissaStep - mantissaStep.rounded()) > 1e-6 ? 1 : 0
        if abs(value) >= 1e6 || step < 1e-4 {
            let exponent = Int(floor(log10(abs(value)) + 1e-9))
            let mantissa = value / pow(10, Double(exponent))
            let text = fixed(mantissa, decimals: max(0, exponent - stepExponent + extra))
            return trimmingZeros(text) + "e" + String(exponent)
        }
        return fixed(value, decimals: max(0, -stepExponent + extra))
    }

    /// `value` to three significant digits, no exponent below a million: `12.5`, `0.333`, `1250`.
    static func short(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return formatNumber(value) }
        let magnitude = Int(floor(log10(abs(value))))
        guard magnitude < 6 else { return formatNumber(value) }
        return trimmingZeros(fixed(value, decimals: max(0, 2 - magnitude)))
    }

    private static func trimmingZeros(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var trimmed = Substring(text)
        while trimmed.last == "0" { trimmed.removeLast() }
        if trimmed.last == "." { trimmed.removeLast() }
        return String(trimmed)
    }

    /// A rough rendered width of `text` at `fontSize` in a sans-serif font, for laying labels
    /// out without measuring: 0.6 em a character (most glyphs are narrower, so labels placed
    /// by it do not collide).
    static func width(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.6
    }

    /// `value` as text with its unit: `120 ms`, `5.2 %`, or the bare number without a unit.
    static func quantity(_ value: Double, unit: String?) -> String {
        guard let unit, !unit.isEmpty else { return formatNumber(value) }
        return formatNumber(value) + " " + unit
    }

    /// `HH:mm` of `date` in UTC (`HH:mm:ss` when `seconds`).
    static func clock(_ date: Date, seconds: Bool = false) -> String {
        let text = Array(RFC3339.format(date).utf8)
        guard text.count >= 19 else { return RFC3339.format(date) }
        return String(decoding: text[11..<(seconds ? 19 : 16)], as: UTF8.self)
    }

    /// `YYYY-MM-DD` of `date` in UTC.
    static func day(_ date: Date) -> String {
        String(RFC3339.format(date).prefix(10))
    }
}
