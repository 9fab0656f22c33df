import Foundation

/// Everything known about one deploy, folded from its events.
///
/// Folding is commutative and idempotent: the state is derived from the *set* of events
/// (keyed by CloudEvents source + id), ordered by event time then key, so any arrival order
/// and any number of duplicates give the same state.
public struct DeployTimeline: Sendable, Hashable {
    /// The deploy.
    public let deployId: String
    /// The events folded so far, by identity.
    public private(set) var events: [EventKey: DecodedEvent] = [:]
    /// The start: the earliest `deploy.started` (by time, then key), its missing fields filled from later ones.
    public private(set) var started: DeployStarted?
    /// Latest result per gate (by finish time, then key).
    public private(set) var gates: [Gate: GateFinished] = [:]
    /// The end (latest `deploy.finished`).
    public private(set) var finished: DeployFinished?
    /// Out-of-band interventions, in time order.
    public private(set) var interventions: [Intervention] = []
    /// Customer impact reports, in time order.
    public private(set) var impacts: [CustomerImpact] = []
    /// Rollbacks, in time order.
    public private(set) var rollbacks: [Rollback] = []

    /// An empty timeline for `deployId`.
    public init(deployId: String) {
        self.deployId = deployId
    }

    /// Folds `event` in; returns false when it is a duplicate (same source + id) and nothing changed.
    /// Metric samples are not part of a timeline and are ignored (returns false).
    @discardableResult
    public mutating func apply(_ event: DecodedEvent) -> Bool {
        if case .metricSampled = event.event { return false }
        guard events[event.key] == nil else { return false }
        events[event.key] = event
        rebuild()
        return true
    }

    /// Folds every event of `events` in, rebuilding once; returns how many were new.
    @discardableResult
    public mutating func apply(contentsOf events: some Sequence<DecodedEvent>) -> Int {
        var added = 0
        for event in events {
            if case .metricSampled = event.event { continue }
            guard self.events[event.key] == nil else { continue }
            self.events[event.key] = event
            added += 1
        }
        if added > 0 { rebuild() }
        return added
    }

    /// The earliest rollback time, if any.
    public var rolledBackAt: Date? { rollbacks.first?.rolledBackAt }

    /// The context IDs, chain IDs and artifact IDs other events may use to link to this deploy.
    public var candidate: DeployCandidate? {
        guard let started else { return nil }
        var contexts = Set(events.keys.map(\.id))
        contexts.formUnion(events.values.compactMap(\.chainId))
        var artifacts = started.artifact?.identifiers ?? []
        artifacts.formUnion(events.values.lazy.filter { $0.rolledBackToArtifact == nil }.compactMap(\.artifactId))
        return DeployCandidate(
            deployId: deployId, service: started.service, environment: started.environment,
            startedAt: started.startedAt, artifactIds: artifacts, contextIds: contexts)
    }

    private mutating func rebuild() {
        let ordered = events.values.sorted { ($0.event.occurredAt, $0.key) < ($1.event.occurredAt, $1.key) }
        started = nil
        gates = [:]
        finished = nil
        interventions = []
        impacts = []
        rollbacks = []
        for decoded in ordered {
            switch decoded.event {
            case .deployStarted(let e): started = started.map { $0.filling(from: e) } ?? e
            case .gateFinished(let e): gates[e.gate] = e
            case .deployFinished(let e): finished = e
            case .intervened(let e): interventions.append(e)
            case .impactedCustomers(let e): impacts.append(e)
            case .rolledBack(let e): rollbacks.append(e)
            case .metricSampled: break
            }
        }
    }
}

extension DeployStarted {
    /// This start with its missing optional fields taken from `other` (e.g. a CDEvent and our event for one deploy).
    func filling(from other: DeployStarted) -> DeployStarted {
        var merged = self
        merged.artifact =
            artifact == nil && other.artifact == nil
            ? nil
            : Artifact(
                name: artifact?.name ?? other.artifact?.name, version: artifact?.version ?? other.artifact?.version,
                digest: artifact?.digest ?? other.artifact?.digest, purl: artifact?.purl ?? other.artifact?.purl)
        merged.commit = commit ?? other.commit
        merged.team = team ?? other.team
        merged.owner = owner ?? other.owner
        merged.pipelineUrl = pipelineUrl ?? other.pipelineUrl
        return merged
    }
}
