import Foundation

/// Renders a postmortem as Markdown (byte-stable for the same postmortem).
public struct MarkdownRenderer: Sendable {
    /// Creates a renderer.
    public init() {}

    /// The full Markdown document.
    public func render(_ p: Postmortem) -> String {
        var lines = ["# Postmortem: \(p.service) in \(p.environment) (\(p.severity.rawValue.uppercased()))", ""]
        lines += summary(p)
        if !p.pendingMetrics.isEmpty {
            lines += [
                "",
                "**Metrics pending:** \(p.pendingMetrics.map(escape).joined(separator: ", ")) — their source has not answered yet; this postmortem is updated when they arrive.",
            ]
        }
        lines += ["", "## Timeline", ""] + p.timeline.map { "- \(RFC3339.format($0.at)) — \(escape($0.text))" }
        lines += ["", "## Contributing metrics", ""] + metricsTable(p.contributingMetrics)
        lines += ["", "## Metrics ruled out", ""] + ruledOutTable(p.ruledOutMetrics)
        let warned = Set(p.dataQuality.map(\.summary))
        let assumed = p.assumptions.filter { !warned.contains($0) }
        if !p.dataQuality.isEmpty || !assumed.isEmpty {
            lines +=
                ["", "## Data quality and assumptions", ""]
                + p.dataQuality.map { "- **\($0.kind.rawValue)**: \(escape($0.summary))" }
                + assumed.map { "- **assumed**: \(escape($0))" }
        }
        lines += ["", "## What broke", ""] + whatBroke(p)
        if let impact = p.impact { lines += ["", "## Customer impact", ""] + impactSection(impact) }
        let sections: [(String, Set<FindingArea>, Gate?)] = [
            ("Why CI did not catch it", [.ci], .ci), ("Why canary did not catch it", [.canary], .canary),
            ("Why the soak window did not catch it", [.soak], .soak), ("Beyond the gates", [.rollback, .process], nil),
        ]
        for (title, areas, gate) in sections {
            let found = p.findings.filter { areas.contains($0.area) }
            lines += ["", "## \(title)", ""]
            if let gate, p.gates[gate] == nil {
                lines.append(
                    "The \(gate.rawValue) gate did not run: no result was recorded, so it could not catch anything.")
            } else if found.isEmpty {
                lines.append("No gap found.")
            }
            lines += found.map { "- **\($0.kind.rawValue)**: \(escape($0.summary))" }
        }
        lines +=
            ["", "## What went well", ""]
            + (p.wentWell.isEmpty
                ? ["Nothing to keep: no gate caught the change and no rollback came within the detection target."]
                : p.wentWell.map { "- **\($0.kind.rawValue)**: \(escape($0.summary))" })
        lines += ["", "## Action items", ""] + actionItemsTable(p.actionItems)
        return lines.joined(separator: "\n") + "\n"
    }

    private func summary(_ p: Postmortem) -> [String] {
        var rows = [
            "- **Deploy ID:** \(p.deployId)", "- **Service:** \(p.service)", "- **Environment:** \(p.environment)",
        ]
        if let a = p.artifact {
            let nameVersion = [a.name, a.version.map { "@\($0)" }].compactMap { $0 }.joined()
            rows.append(
                "- **Artifact:** "
                    + [nameVersion, a.digest, a.purl].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " "))
        }
        if let commit = p.commit { rows.append("- **Commit:** \(escape(commit))") }
        rows.append("- **Impact:** \(escape(p.impactStatement))")
        rows.append("- **Triggers:** " + p.triggers.map { "`\($0.trigger)`" }.joined(separator: ", "))
        rows.append("- **Severity:** \(p.severity.rawValue.uppercased())")
        rows.append("- **Owner:** \(escape(p.owner))")
        rows.append("- **Rolled back at:** " + (p.rolledBackAt.map(RFC3339.format) ?? "not rolled back"))
        if let t = p.rollbackTarget {
            rows.append(
                "- **Rolled back to:** " + [t.version, t.artifact].compactMap { $0 }.map(escape).joined(separator: " "))
        }
        let r = p.response
        if let began = r.problemStartedAt, let noticed = r.detectedAt, let seconds = r.timeToDetectSeconds {
            rows.append(
                "- **Detection:** \(formatDuration(seconds)) after the problem began (\(RFC3339.format(began)) to \(RFC3339.format(noticed)))"
            )
        } else {
            rows.append("- **Detection:** time unknown (no metric onset or customer impact start to time it from)")
        }
        if let mitigated = r.mitigatedAt, let seconds = r.timeToMitigateSeconds {
            rows.append(
                "- **Mitigation:** \(formatDuration(seconds)) after detection (rolled back \(RFC3339.format(mitigated)))"
            )
        } else {
            rows.append("- **Mitigation:** none recorded (no rollback after detection)")
        }
        rows.append("- **Deploy log:** " + (p.links["pipeline"].map { "<\($0)>" } ?? "none"))
        return rows
    }

    private func metricsTable(_ metrics: [MetricCorrelation]) -> [String] {
        guard !metrics.isEmpty else { return ["No metric degraded beyond its baseline."] }
        return [
            "| metric | baseline | limit | peak | onset | breach fraction | SLO breached |",
            "|---|---|---|---|---|---|---|",
        ]
            + metrics.map { m in
                let unit = m.unit.map { " \($0)" } ?? ""
                return
                    "| \(m.metric) | \(formatNumber(m.baseline))\(unit) | \(formatNumber(m.limit))\(unit) | \(formatNumber(m.peak))\(unit) | "
                    + "\(m.onset.map(RFC3339.format) ?? "—") | \(formatNumber(m.breachFraction * 100))% | \(m.sloBreached ? "yes" : "no") |"
            }
    }

    private func ruledOutTable(_ metrics: [MetricCorrelation]) -> [String] {
        guard !metrics.isEmpty else { return ["None: no other series around the deploy was judged."] }
        return ["| metric | baseline | limit | peak | why ruled out |", "|---|---|---|---|---|"]
            + metrics.map { m in
                let unit = m.unit.map { " \($0)" } ?? ""
                return
                    "| \(escape(m.metric)) | \(formatNumber(m.baseline))\(unit) | \(formatNumber(m.limit))\(unit) | \(formatNumber(m.peak))\(unit) | "
                    + "\(m.reason ?? "did not degrade") (\(m.direction.rawValue) \(formatNumber(m.limit)) is bad) |"
            }
    }

    private func whatBroke(_ p: Postmortem) -> [String] {
        var lines = p.triggers.map { "- `\($0.trigger)` at \(RFC3339.format($0.at))" }
        for m in p.contributingMetrics {
            lines.append(
                "- \(m.metric) went from \(formatNumber(m.baseline)) to \(formatNumber(m.peak))"
                    + (m.onset.map { ", sustained from \(RFC3339.format($0))" } ?? ""))
        }
        return lines
    }

    private func impactSection(_ i: ImpactSummary) -> [String] {
        func duration(_ seconds: Double?, unknown: String) -> String { seconds.map(formatDuration) ?? unknown }
        return [
            "- **What:** " + (i.what.map(escape) ?? "not described") + " (severity \(i.severity.rawValue))",
            "- **Began:** \(RFC3339.format(i.startedAt))",
            "- **How long:** " + duration(i.durationSeconds, unknown: "unknown (not mitigated by a rollback)"),
            "- **Time to detect:** " + duration(i.timeToDetectSeconds, unknown: "unknown (no detection time recorded)"),
            "- **Time to mitigate:** " + duration(i.timeToMitigateSeconds, unknown: "unknown"),
            "- **Incident:** " + (i.incidentUrl.map { "<\($0)>" } ?? "none recorded"),
        ]
    }

    private func actionItemsTable(_ items: [ActionItem]) -> [String] {
        guard !items.isEmpty else { return ["None."] }
        return ["| id | kind | gate | title | owner | due | status |", "|---|---|---|---|---|---|---|"]
            + items.map { i in
                "| \(i.id) | \(i.kind.rawValue) | \(i.gate.rawValue) | \(escape(i.title)) | \(escape(i.owner)) | \(RFC3339.format(i.dueAt)) | \(i.status.rawValue) |"
            }
            + proposals(items)
    }

    /// One line per proposed gate change with its evidence, below the table.
    private func proposals(_ items: [ActionItem]) -> [String] {
        let proposed = items.compactMap { item in item.proposal.map { (item.id, $0) } }
        guard !proposed.isEmpty else { return [] }
        return ["", "Proposed gate changes, replayed on this deploy and on earlier healthy ones:", ""]
            + proposed.map { id, p in
                "- \(id) (\(p.gate.rawValue) \(p.setting.rawValue) on \(escape(p.metric))): \(escape(p.sentence))"
                    + (p.detectableShift.map { " Its points could not detect a shift below \(formatNumber($0))." } ?? "")
            }
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
