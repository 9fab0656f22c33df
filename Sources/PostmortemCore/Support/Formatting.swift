/// Number formatting shared by findings and rendering: at most `digits` decimals, no trailing zeros.
/// Never overflows: a value too large to carry decimals is printed as it is.
func formatNumber(_ value: Double, digits: Int = 2) -> String {
    JSONValue.format(number: rounded(value, digits: digits))
}

/// Rounds to at most two decimals (evidence values).
func round2(_ value: Double) -> Double { rounded(value, digits: 2) }

/// `value` rounded to `digits` decimals; values whose magnitude leaves no room for decimals
/// (or whose scaling would overflow) are returned unchanged, so a finite value stays finite.
private func rounded(_ value: Double, digits: Int) -> Double {
    let scale = (0..<digits).reduce(1.0) { acc, _ in acc * 10 }
    guard abs(value) < 1e15 else { return value }
    return (value * scale).rounded() / scale
}
