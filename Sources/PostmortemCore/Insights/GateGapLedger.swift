import Foundation

/// One gap a stored postmortem found: a finding with the deploy it was found in.
public struct GapOccurrence: Sendable, Hashable {
    /// The postmortem.
    public var postmortemId: String
    /// Its deploy.
    public var deployId: String
    /// Service.
    public var service: String
    /// Environment.
    public var environment: String
    /// When the postmortem was opened.
    public var openedAt: Date
    /// The gate or area the finding is about.
    public var gate: FindingArea
    /// The miss reason.
    public var kind: FindingKind
    /// The metric concerned, if any.
    public var metric: String?

    /// Creates an occurrence.
    public init(
        postmortemId: String, deployId: String, service: String, environment: String, openedAt: Date, gate: FindingArea,
        kind: FindingKind, metric: String?
    ) {
        self.postmortemId = postmortemId
        self.deployId = deployId
        self.service = service
        self.environment = environment
        self.openedAt = openedAt
        self.gate = gate
        self.kind = kind
        self.metric = metric
    }
}

/// A gap that recurred: one service, gate, miss reason and metric, with the postmortems behind it.
public struct GateGap: Sendable, Hashable {
    /// Service.
    public var service: String
    /// Gate or area.
    public var gate: FindingArea
    /// Miss reason.
    public var kind: FindingKind
    /// Metric, when the reason concerns one.
    public var metric: String?
    /// One occurrence per postmortem, oldest first.
    public var occurrences: [GapOccurrence]

    /// How many postmortems found the gap.
    public var count: Int { occurrences.count }

    /// One sentence, e.g. "canary_threshold_too_loose on http_error_rate let 4 regressions of
    /// checkout through between 2026-01-05 and 2026-03-01".
    public var summary: String {
        let first = RFC3339.format(occurrences.first?.openedAt ?? .distantPast).prefix(10)
        let last = RFC3339.format(occurrences.last?.openedAt ?? .distantPast).prefix(10)
        let regressions = count == 1 ? "1 regression" : "\(count) regressions"
        return
            "\(gate.rawValue): \(kind.rawValue)\(metric.map { " on \($0)" } ?? "") let \(regressions) of \(service) through"
            + (first == last ? " on \(first)" : " between \(first) and \(last)")
    }
}

/// The gate-gap ledger: findings of stored postmortems grouped by service, gate, miss reason
/// and metric.
public enum GateGapLedger {
    /// The groups of `occurrences` found by at least `minOccurrences` distinct postmortems,
    /// most frequent first (then by service, gate, reason, metric). A postmortem counts once
    /// per group, however many of its findings fall in it.
    public static func gaps(_ occurrences: [GapOccurrence], minOccurrences: Int = 2) -> [GateGap] {
        let groups = Dictionary(grouping: occurrences) {
            GroupKey(service: $0.service, gate: $0.gate, kind: $0.kind, metric: $0.metric)
        }
        return groups.compactMap { key, members -> GateGap? in
            var seen: Set<String> = []
            let distinct = members.sorted { ($0.openedAt, $0.postmortemId) < ($1.openedAt, $1.postmortemId) }
                .filter { seen.insert($0.postmortemId).inserted }
            guard distinct.count >= minOccurrences else { return nil }
            return GateGap(
                service: key.service, gate: key.gate, kind: key.kind, metric: key.metric, occurrences: distinct)
        }.sorted {
            ($1.count, $0.service, $0.gate.rawValue, $0.kind.rawValue, $0.metric ?? "")
                < ($0.count, $1.service, $1.gate.rawValue, $1.kind.rawValue, $1.metric ?? "")
        }
    }

    private struct GroupKey: Hashable {
        var service: String
        var gate: FindingArea
        var kind: FindingKind
        var metric: String?
    }
}
