/// "The gate saw too little traffic" — shared by canary and soak.
enum TrafficShare {
    /// A finding when `gate` ran on less than `minimum` percent of traffic.
    static func finding(
        _ gate: GateFinished, minimum: Double, kind: FindingKind, area: FindingArea,
        summary: (_ traffic: String, _ minimum: String) -> String, fix: (_ traffic: String, _ minimum: String) -> String
    ) -> Finding? {
        guard let traffic = gate.trafficPercent, traffic < minimum else { return nil }
        return Finding(
            kind: kind, area: area, summary: summary(formatNumber(traffic), formatNumber(minimum)),
            fix: fix(formatNumber(traffic), formatNumber(minimum)),
            evidence: ["trafficPercent": .number(traffic), "minimumPercent": .number(minimum)])
    }
}
