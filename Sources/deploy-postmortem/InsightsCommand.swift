import ArgumentParser
import Foundation

/// `deploy-postmortem insights`: DORA's delivery figures and the gate-gap ledger of a running
/// service (GET /v1/insights/*, docs/insights.md).
struct InsightsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "insights",
        abstract: "Learning across deploys: DORA figures and recurring gate gaps (GET /v1/insights/*).",
        subcommands: [Delivery.self, GateGaps.self]
    )

    /// `--from` and `--to` of both subcommands.
    struct WindowOptions: ParsableArguments {
        @Option(help: "Start of the window, RFC 3339 (default: 90 days before --to).")
        var from: String?

        @Option(help: "End of the window, RFC 3339, exclusive (default: now).")
        var to: String?

        func validate() throws {
            try validateRFC3339(from, option: "--from")
            try validateRFC3339(to, option: "--to")
        }

        var query: [(name: String, value: String?)] { [("from", from), ("to", to)] }
    }

    /// `insights delivery`: the four figures, then one line per ISO week.
    struct Delivery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deployment frequency, change failure rate, recovery time and rework rate, with weekly buckets.")

        @OptionGroup var api: APIOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var window: WindowOptions

        @Option(help: "Only deploys of this service.")
        var service: String?

        @Option(help: "Only deploys to this environment (DORA's figures are about production).")
        var environment: String?

        @Option(help: "Only deploys of this team.")
        var team: String?

        func run() async throws {
            try await api.withClient { client in
                let response = try await client.get(
                    "/v1/insights/delivery",
                    query: [("service", service), ("environment", environment), ("team", team)] + window.query)
                guard !output.printedVerbatim(response) else { return }
                let figures = try response.decode(DeliveryFigures.self)
                print("deploys from \(figures.from) to \(figures.to)")
                let f = figures.deploymentFrequency
                let cfr = figures.changeFailureRate
                let rt = figures.failedDeploymentRecoveryTime
                let rework = figures.reworkRate
                print(
                    TextTable(
                        columns: ["FIGURE", "VALUE", "COUNTED"],
                        rows: [
                            ["deployment frequency", String(format: "%.2f/week", f.perWeek), "\(f.deploys) deploys"],
                            ["change failure rate", percent(cfr.rate), "\(cfr.count) of \(cfr.deploys)"],
                            [
                                "recovery time p50/p90", "\(duration(rt.p50Seconds)) / \(duration(rt.p90Seconds))",
                                "\(rt.recovered.count) recovered, \(rt.unrecoveredDeployIds.count) unrecovered",
                            ],
                            ["rework rate", percent(rework.rate), "\(rework.count) of \(rework.deploys)"],
                        ]
                    ).rendered, terminator: "")
                print("")
                print(
                    TextTable(
                        columns: ["WEEK", "DEPLOYS", "FAILED", "CFR", "REWORK", "P50", "P90"],
                        rows: figures.weeks.map { w in
                            [
                                w.week, "\(w.deploys)", "\(w.failedDeploys)", percent(w.changeFailureRate),
                                "\(w.reworkDeploys)",
                                duration(w.recoveryP50Seconds), duration(w.recoveryP90Seconds),
                            ]
                        }
                    ).rendered, terminator: "")
            }
        }
    }

    /// `insights gate-gaps`: one line per recurring gap.
    struct GateGaps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gate-gaps",
            abstract: "Recurring gate gaps by service, gate, miss reason and metric, most frequent first.")

        @OptionGroup var api: APIOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var window: WindowOptions

        @Option(
            name: .customLong("min-occurrences"),
            help: "Smallest number of postmortems a gap needs, 1 to 1000 (server default 2).")
        var minOccurrences: Int?

        func validate() throws {
            if let minOccurrences, !(1...1000).contains(minOccurrences) {
                throw ValidationError("--min-occurrences: expected 1 to 1000, got \(minOccurrences)")
            }
        }

        func run() async throws {
            try await api.withClient { client in
                let response = try await client.get(
                    "/v1/insights/gate-gaps",
                    query: window.query + [("minOccurrences", minOccurrences.map(String.init))])
                guard !output.printedVerbatim(response) else { return }
                let ledger = try response.decode(GateGapLedger.self)
                if ledger.gaps.isEmpty {
                    print("no recurring gate gaps from \(ledger.from) to \(ledger.to)")
                    return
                }
                print(
                    TextTable(
                        columns: ["COUNT", "SERVICE", "GATE", "REASON", "METRIC", "DEPLOYS"],
                        rows: ledger.gaps.map { gap in
                            [
                                "\(gap.count)", gap.service, gap.gate, gap.reason, gap.metric ?? "-",
                                TextTable.truncated(gap.postmortems.map(\.deployId).joined(separator: ","), to: 60),
                            ]
                        }
                    ).rendered, terminator: "")
            }
        }
    }
}

/// `0.174` as `17.4 %`; `-` for none.
private func percent(_ rate: Double?) -> String { rate.map { String(format: "%.1f %%", $0 * 100) } ?? "-" }

/// Seconds as `1h02m`, `5m30s` or `42s`; `-` for none.
private func duration(_ seconds: Double?) -> String {
    guard let seconds else { return "-" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
}

/// The members of GET /v1/insights/delivery the tables show.
private struct DeliveryFigures: Decodable {
    struct Frequency: Decodable {
        let deploys: Int
        let perWeek: Double
    }
    struct Rate: Decodable {
        let count: Int
        let deploys: Int
        let rate: Double?
    }
    struct Recovery: Decodable {
        struct Recovered: Decodable { let deployId: String }
        let p50Seconds: Double?
        let p90Seconds: Double?
        let recovered: [Recovered]
        let unrecoveredDeployIds: [String]
    }
    struct Week: Decodable {
        let week: String
        let deploys: Int
        let failedDeploys: Int
        let reworkDeploys: Int
        let changeFailureRate: Double?
        let recoveryP50Seconds: Double?
        let recoveryP90Seconds: Double?
    }
    let from: String
    let to: String
    let deploymentFrequency: Frequency
    let changeFailureRate: Rate
    let failedDeploymentRecoveryTime: Recovery
    let reworkRate: Rate
    let weeks: [Week]
}

/// The members of GET /v1/insights/gate-gaps the table shows.
private struct GateGapLedger: Decodable {
    struct Gap: Decodable {
        struct Postmortem: Decodable { let deployId: String }
        let service: String
        let gate: String
        let reason: String
        let metric: String?
        let count: Int
        let postmortems: [Postmortem]
    }
    let from: String
    let to: String
    let gaps: [Gap]
}
