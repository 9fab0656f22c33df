import Foundation
import PostmortemCore

// What the UI's templates read (by property name, through Mustache). Every value is plain
// text that the template escapes; only ChartView.svg is inserted as markup.

/// Times as the UI shows them: `2026-11-29 14:07` (UTC, the column headers say so).
enum UIFormat {
    static func time(_ date: Date) -> String {
        let text = RFC3339.format(date)
        return text.count >= 16 ? String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) : text
    }

    static func percent(_ rate: Double?) -> String {
        rate.map { formatNumber(($0 * 1000).rounded() / 10) + " %" } ?? "—"
    }

    static func duration(_ seconds: Double?) -> String {
        seconds.map(formatDuration) ?? "—"
    }

    /// A value with its unit, when it has one.
    static func number(_ value: Double, unit: String?) -> String {
        formatNumber(value) + (unit.map { " \($0)" } ?? "")
    }

    /// A finding's evidence value: strings as they are, numbers formatted, the rest as JSON.
    static func evidence(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .number(let number): formatNumber(number)
        case .bool(let flag): flag ? "yes" : "no"
        default: value.serialized
        }
    }
}

/// The signed-in user in the page header.
struct UserView {
    var name: String
    var scope: String
    /// Logging out ends a cookie session; a proxy's session is the proxy's to end.
    var canLogOut: Bool
}

/// One option of a filter's `<select>`; the first is "any".
struct ChoiceView {
    var value: String
    var label: String
    var selected: Bool

    static func choices(_ values: [String], selected: String?) -> [ChoiceView] {
        [ChoiceView(value: "", label: "any", selected: selected == nil)]
            + values.map { ChoiceView(value: $0, label: $0, selected: $0 == selected) }
    }
}

/// A chart and its caption (the chart's own `<title>`/`<desc>` carry its text alternative).
struct ChartView {
    /// SVG markup from PostmortemCore's chart library.
    var svg: String
    var caption: String
}

struct LoginView {
    var message: String?
}

struct ErrorView {
    var heading: String
    var message: String
}

struct PostmortemListView {
    struct Filter {
        var service: String?
        var environment: String?
        var since: String?
    }
    var user: UserView?
    var filter: Filter
    var statuses: [ChoiceView]
    var rows: [PostmortemRowView]
    var next: String?
}

struct PostmortemRowView {
    var id: String
    var deployId: String
    var service: String
    var environment: String
    var severity: String
    var status: String
    var openedAt: String
    var openActionItems: Int
    var totalActionItems: Int
    var triggers: String

    init(_ summary: PostmortemSummary) {
        id = summary.id
        deployId = summary.deployId
        service = summary.service
        environment = summary.environment
        severity = summary.severity
        status = summary.status
        openedAt = UIFormat.time(summary.openedAt)
        openActionItems = summary.openActionItems
        totalActionItems = summary.totalActionItems
        triggers = summary.triggers.joined(separator: ", ")
    }
}

struct ActionItemListView {
    struct Filter {
        var owner: String?
    }
    var user: UserView?
    var filter: Filter
    var statuses: [ChoiceView]
    var overdueChoices: [ChoiceView]
    var rows: [ActionItemRowView]
    var next: String?
}

struct ActionItemRowView {
    var title: String
    var owner: String
    var gate: String
    var status: String
    var overdue: Bool
    var dueAt: String
    var postmortemId: String
    var deployId: String
    /// The proposed gate change, in words.
    var proposal: String?

    init(_ item: ActionItem, now: Date) {
        title = item.title
        owner = item.owner
        gate = item.gate.rawValue
        status = item.status.rawValue
        overdue = item.isOverdue(at: now)
        dueAt = UIFormat.time(item.dueAt)
        postmortemId = item.postmortemId
        deployId = item.deployId
        proposal = item.proposal?.sentence
    }
}

struct PostmortemView {
    struct Fact {
        var label: String
        var value: String
    }
    struct MetricRow {
        var metric: String
        var baseline: String
        var limit: String
        var peak: String
        var onset: String
        var breach: String
        var slo: String
    }
    struct FindingRow {
        struct Evidence {
            var name: String
            var value: String
        }
        var area: String
        var kind: String
        var summary: String
        var fix: String
        var evidence: [Evidence]
    }
    struct TimelineRow {
        var at: String
        var text: String
    }

    var user: UserView?
    var service: String
    var environment: String
    var severity: String
    var status: String
    var impactStatement: String
    var facts: [Fact]
    var pendingMetrics: String?
    var charts: [ChartView]
    var metrics: [MetricRow]
    var findings: [FindingRow]
    var wentWell: [String]
    var actionItems: [ActionItemRowView]
    var timeline: [TimelineRow]

    init(user: UserView?, postmortem p: Postmortem, points: [String: [MetricPoint]], now: Date) {
        self.user = user
        service = p.service
        environment = p.environment
        severity = p.severity.rawValue
        status = p.status.rawValue
        impactStatement = p.impactStatement
        facts = Self.facts(p)
        pendingMetrics = p.pendingMetrics.isEmpty ? nil : p.pendingMetrics.joined(separator: ", ")
        charts = UICharts.metricCharts(p, points: points)
        metrics = p.contributingMetrics.map { m in
            MetricRow(
                metric: m.metric, baseline: UIFormat.number(m.baseline, unit: m.unit),
                limit: UIFormat.number(m.limit, unit: m.unit), peak: UIFormat.number(m.peak, unit: m.unit),
                onset: m.onset.map(UIFormat.time) ?? "—", breach: UIFormat.percent(m.breachFraction),
                slo: m.sloBreached ? "yes" : "no")
        }
        findings = p.findings.map { f in
            FindingRow(
                area: f.area.rawValue, kind: f.kind.rawValue, summary: f.summary, fix: f.fix,
                evidence: f.evidence.sorted { $0.key < $1.key }.map {
                    FindingRow.Evidence(name: $0.key, value: UIFormat.evidence($0.value))
                })
        }
        wentWell = p.wentWell.map(\.summary)
        actionItems = p.actionItems.map { ActionItemRowView($0, now: now) }
        timeline = p.timeline.map { TimelineRow(at: UIFormat.time($0.at), text: $0.text) }
    }

    private static func facts(_ p: Postmortem) -> [Fact] {
        var facts = [Fact(label: "Deploy", value: p.deployId), Fact(label: "Owner", value: p.owner)]
        if let a = p.artifact {
            let name = [a.name, a.version.map { "@\($0)" }].compactMap { $0 }.joined()
            facts.append(Fact(label: "Artifact", value: [name, a.digest].compactMap { $0 }.joined(separator: " ")))
        }
        if let commit = p.commit { facts.append(Fact(label: "Commit", value: commit)) }
        facts.append(Fact(label: "Triggers", value: p.triggers.map(\.trigger.description).joined(separator: ", ")))
        facts.append(Fact(label: "Detected", value: UIFormat.time(p.detectedAt) + " UTC"))
        facts.append(
            Fact(label: "Rolled back", value: p.rolledBackAt.map { UIFormat.time($0) + " UTC" } ?? "not rolled back"))
        facts.append(Fact(label: "Time to detect", value: UIFormat.duration(p.response.timeToDetectSeconds)))
        facts.append(Fact(label: "Time to mitigate", value: UIFormat.duration(p.response.timeToMitigateSeconds)))
        if let impact = p.impact {
            facts.append(
                Fact(
                    label: "Customer impact",
                    value: (impact.what ?? "not described") + " (severity \(impact.severity.rawValue))"))
        }
        return facts
    }
}

struct InsightsView {
    struct Filter {
        var service: String?
        var environment: String?
        var team: String?
    }
    struct Tile {
        var label: String
        var value: String
        var detail: String
    }
    struct WeekRow {
        var week: String
        var deploys: Int
        var failed: Int
        var changeFailureRate: String
        var rework: Int
        var recoveryP50: String
        var recoveryP90: String
    }
    struct GapRow {
        var service: String
        var gate: String
        var kind: String
        var metric: String
        var count: Int
        var summary: String
    }

    var user: UserView?
    var filter: Filter
    var window: String
    var tiles: [Tile]
    var charts: [ChartView]
    var weeks: [WeekRow]
    var gaps: [GapRow]

    init(user: UserView?, filter: DeliveryFilter, figures: DeliveryFigures, gaps: [GateGap]) {
        self.user = user
        self.filter = Filter(service: filter.service, environment: filter.environment, team: filter.team)
        window =
            "From \(UIFormat.time(figures.from)) to \(UIFormat.time(figures.to)) UTC (the last \(Int(InsightsRoutes.defaultRange / 86_400)) days)."
        let frequency = figures.deploymentFrequency
        tiles = [
            Tile(
                label: "Deployment frequency", value: formatNumber((frequency.perWeek * 10).rounded() / 10) + " / week",
                detail: "\(frequency.deploys) deploys"),
            Tile(
                label: "Change failure rate", value: UIFormat.percent(figures.changeFailureRate.rate),
                detail: "\(figures.changeFailureRate.count) of \(figures.changeFailureRate.deploys) deploys"),
            Tile(
                label: "Time to recover (p50)", value: UIFormat.duration(figures.recoveryTime.p50Seconds),
                detail: "p90 \(UIFormat.duration(figures.recoveryTime.p90Seconds))"),
            Tile(
                label: "Rework rate", value: UIFormat.percent(figures.reworkRate.rate),
                detail: "\(figures.reworkRate.count) of \(figures.reworkRate.deploys) deploys"),
        ]
        charts = UICharts.trendCharts(figures)
        weeks = figures.weeks.map { w in
            WeekRow(
                week: w.week.description, deploys: w.deploys, failed: w.failed,
                changeFailureRate: UIFormat.percent(w.changeFailureRate), rework: w.rework,
                recoveryP50: UIFormat.duration(w.recoveryP50Seconds),
                recoveryP90: UIFormat.duration(w.recoveryP90Seconds))
        }
        self.gaps = gaps.map { g in
            GapRow(
                service: g.service, gate: g.gate.rawValue, kind: g.kind.rawValue, metric: g.metric ?? "—",
                count: g.count, summary: g.summary)
        }
    }
}
