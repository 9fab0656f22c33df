import Foundation

/// Renders a postmortem as Markdown (byte-stable for the same postmortem).
public struct MarkdownRenderer: Sendable {
    /// Creates a renderer.
    public init() {}

    /// The full Markdown document.
    public func render(_ p: Postmortem) -> String {
        var lines = ["# Postmortem: \(p.service) in \(p.environment) (\(p.severity.rawValue.uppercased()))", ""]
        lines += summary(p)
        lines += ["", "## Timeline", ""] + p.timeline.map { "- \(RFC3339.format($0.at)) — \(escape($0.text))" }
        lines += ["", "## Contributing metrics", ""] + metricsTable(p.contributingMetrics)
        lines += ["", "## What broke", ""] + whatBroke(p)
        let sections: [(String, Set<FindingArea>)] = [
            ("Why CI did not catch it", [.ci]), ("Why canary did not catch it", [.canary]),
            ("Why the soak window did not catch it", [.soak]), ("Beyond the gates", [.rollback, .process]),
        ]
        for (title, areas) in sections {
            let found = p.findings.filter { areas.contains($0.area) }
            lines += ["", "## \(title)", ""]
            lines += found.isEmpty ? ["No gap found."] : found.map { "- **\($0.kind.rawValue)**: \(escape($0.summary))" }
        }
        lines += ["", "## Action items", ""] + actionItemsTable(p.actionItems)
        return lines.joined(separator: "\n") + "\n"
    }

    private func summary(_ p: Postmortem) -> [String] {
        var rows = [
            "- **Deploy ID:** \(p.deployId)", "- **Service:** \(p.service)", "- **Environment:** \(p.environment)",
        ]
        if let a = p.artifact {
            let nameVersion = [a.name, a.version.map { "@\($0)" }].compactMap { $0 }.joined()
            rows.append("- **Artifact:** " + [nameVersion, a.digest, a.purl].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " "))
        }
        rows.append("- **Triggers:** " + p.triggers.map { "`\($0.trigger)`" }.joined(separator: ", "))
        rows.append("- **Severity:** \(p.severity.rawValue.uppercased())")
        rows.append("- **Rolled back at:** " + (p.rolledBackAt.map(RFC3339.format) ?? "not rolled back"))
        rows.append("- **Deploy log:** " + (p.links["pipeline"].map { "<\($0)>" } ?? "none"))
        return rows
    }

    private func metricsTable(_ metrics: [MetricCorrelation]) -> [String] {
        guard !metrics.isEmpty else { return ["No metric degraded beyond its baseline."] }
        return ["| metric | baseline | limit | peak | onset | breach fraction | SLO breached |", "|---|---|---|---|---|---|---|"]
            + metrics.map { m in
                let unit = m.unit.map { " \($0)" } ?? ""
                return "| \(m.metric) | \(formatNumber(m.baseline))\(unit) | \(formatNumber(m.limit))\(unit) | \(formatNumber(m.peak))\(unit) | "
                    + "\(m.onset.map(RFC3339.format) ?? "—") | \(formatNumber(m.breachFraction * 100))% | \(m.sloBreached ? "yes" : "no") |"
            }
    }

    private func whatBroke(_ p: Postmortem) -> [String] {
        var lines = p.triggers.map { "- `\($0.trigger)` at \(RFC3339.format($0.at))" }
        for m in p.contributingMetrics {
            lines.append("- \(m.metric) went from \(formatNumber(m.baseline)) to \(formatNumber(m.peak))"
                + (m.onset.map { ", sustained from \(RFC3339.format($0))" } ?? ""))
        }
        return lines
    }

    private func actionItemsTable(_ items: [ActionItem]) -> [String] {
        guard !items.isEmpty else { return ["None."] }
        return ["| id | kind | gate | title | owner | due | status |", "|---|---|---|---|---|---|---|"]
            + items.map { i in
                "| \(i.id) | \(i.kind.rawValue) | \(i.gate.rawValue) | \(escape(i.title)) | \(escape(i.owner)) | \(RFC3339.format(i.dueAt)) | \(i.status.rawValue) |"
            }
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
