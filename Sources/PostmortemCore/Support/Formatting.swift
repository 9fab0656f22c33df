/// Number formatting shared by findings and rendering: at most `digits` decimals, no trailing zeros.
func formatNumber(_ value: Double, digits: Int = 2) -> String {
    let scale = (0..<digits).reduce(1.0) { acc, _ in acc * 10 }
    return JSONValue.format(number: (value * scale).rounded() / scale)
}

/// Rounds to at most two decimals (evidence values).
func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }
