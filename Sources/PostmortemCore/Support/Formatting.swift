import Foundation

/// Number formatting shared by findings and rendering: six significant digits, no trailing zeros
/// (0.997 stays 0.997, 120 stays 120). Never overflows: a value too large to carry decimals is
/// printed as it is. JSON output carries the full-precision values.
func formatNumber(_ value: Double) -> String {
    guard value.isFinite, value != 0, abs(value) < 1e15 else { return JSONValue.format(number: value) }
    let decimals = max(0, 5 - Int(floor(log10(abs(value)))))
    let scale = pow(10, Double(decimals))
    return JSONValue.format(number: (value * scale).rounded() / scale)
}
