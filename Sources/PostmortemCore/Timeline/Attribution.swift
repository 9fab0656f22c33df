import Foundation

/// What attribution needs to know about a deploy.
public struct DeployCandidate: Sendable, Hashable {
    /// The deploy.
    public var deployId: String
    /// Its service.
    public var service: String
    /// Its environment.
    public var environment: String
    /// When it started.
    public var startedAt: Date
    /// Artifact identifiers (purl, digest, `name@version`, CDEvents `artifactId`).
    public var artifactIds: Set<String>
    /// Event IDs and chain IDs of the deploy's own events (CDEvents links point at them).
    public var contextIds: Set<String>

    /// Creates a candidate.
    public init(
        deployId: String, service: String, environment: String, startedAt: Date,
        artifactIds: Set<String> = [], contextIds: Set<String> = []
    ) {
        self.deployId = deployId
        self.service = service
        self.environment = environment
        self.startedAt = startedAt
        self.artifactIds = artifactIds
        self.contextIds = contextIds
    }
}

/// The rule that attributed an event.
public enum AttributionRule: String, Sendable, Hashable {
    /// The event names its deploy.
    case deployId
    /// A CDEvents link points at one of the deploy's events.
    case link
    /// The CDEvents chain ID is the deploy's.
    case chainId
    /// The event names the deploy's artifact.
    case artifact
    /// Latest deploy of the same service and environment within the window.
    case serviceWindow
}

/// Where an event belongs.
public enum Attribution: Sendable, Hashable {
    /// To `deployId`, by `rule`.
    case deploy(String, by: AttributionRule)
    /// To no deploy, with the reason (logged and counted, never guessed).
    case none(reason: String)

    /// The deploy it belongs to, nil for none.
    public var deployId: String? {
        if case .deploy(let id, _) = self { id } else { nil }
    }
}

extension DecodedEvent {
    /// The identifiers that point at the event's own deploy: its artifact (except for a rollback,
    /// whose artifact is the one rolled back *to*), its CDEvents `chainId` and linked context IDs.
    public var attributionKeys: [String] {
        (rolledBackToArtifact == nil ? [artifactId] : []).compactMap { $0 } + [chainId].compactMap { $0 }
            + linkedContextIds
    }

    /// For a rollback naming an artifact (CDEvents `service.rolledback`): the artifact it restored.
    /// The deploy that carries it is the one rolled back to, never the one the rollback belongs to.
    public var rolledBackToArtifact: String? {
        if case .rolledBack = event { artifactId } else { nil }
    }
}

/// Attributes events to deploys: explicit `deployId`, then CDEvents links / `chainId`, then artifact,
/// then the latest deploy of the same service+environment started within `window` before the event.
///
/// Attribution never crosses service or environment: an event that names both only ever joins a
/// deploy of that service and environment, whichever rule matches. A rollback that names the
/// artifact it restored belongs to the latest deploy of its service and environment that does not
/// carry that artifact (docs/architecture.md §6.2).
public struct Attributor: Sendable {
    /// The service+environment window, seconds.
    public var window: Double

    /// Creates an attributor.
    public init(window: Double) {
        self.window = window
    }

    /// Whether `candidate` may receive `event` at all: same service and environment when the event names them.
    public static func sameScope(_ event: DecodedEvent, _ candidate: DeployCandidate) -> Bool {
        guard let (service, environment) = event.event.serviceAndEnvironment else { return true }
        return candidate.service == service && candidate.environment == environment
    }

    /// Attributes `event` among `candidates`.
    public func attribute(_ event: DecodedEvent, candidates: [DeployCandidate]) -> Attribution {
        AttributionIndex(candidates, window: window).attribute(event)
    }
}

/// Deploy candidates indexed for ``Attributor``'s rules: by context ID, by artifact and, per
/// service and environment, by start time. Built once, it attributes each event with lookups and
/// a binary search instead of scanning every deploy, so attributing n events among m deploys
/// takes O((n + m) log m) rather than O(n · m log m).
public struct AttributionIndex: Sendable {
    private struct Scope: Hashable {
        var service: String
        var environment: String
    }

    /// The service+environment window, seconds.
    public let window: Double
    /// Per service and environment, sorted by start time, then deploy ID (ascending).
    private var byScope: [Scope: [DeployCandidate]] = [:]
    private var byContext: [String: [DeployCandidate]] = [:]
    private var byArtifact: [String: [DeployCandidate]] = [:]

    /// Indexes `candidates` for attribution with the service+environment `window` (seconds).
    public init(_ candidates: some Sequence<DeployCandidate>, window: Double) {
        self.window = window
        for c in candidates {
            byScope[Scope(service: c.service, environment: c.environment), default: []].append(c)
            for id in c.contextIds { byContext[id, default: []].append(c) }
            for id in c.artifactIds { byArtifact[id, default: []].append(c) }
        }
        for key in byScope.keys { byScope[key]!.sort { ($0.startedAt, $0.deployId) < ($1.startedAt, $1.deployId) } }
    }

    /// Where `event` belongs, by the rules of ``Attributor``.
    public func attribute(_ event: DecodedEvent) -> Attribution {
        if let id = event.event.deployId { return .deploy(id, by: .deployId) }
        let at = event.event.occurredAt
        func latest(_ found: some Sequence<DeployCandidate>) -> DeployCandidate? {
            found.filter { Attributor.sameScope(event, $0) }.max {
                ($0.startedAt, $0.deployId) < ($1.startedAt, $1.deployId)
            }
        }
        if let c = latest(event.linkedContextIds.flatMap { byContext[$0] ?? [] }) {
            return .deploy(c.deployId, by: .link)
        }
        if let chain = event.chainId, let c = latest(byContext[chain] ?? []) {
            return .deploy(c.deployId, by: .chainId)
        }
        if event.rolledBackToArtifact == nil, let artifact = event.artifactId,
            let c = latest((byArtifact[artifact] ?? []).filter { $0.startedAt <= at })
        {
            return .deploy(c.deployId, by: .artifact)
        }
        guard let (service, environment) = event.event.serviceAndEnvironment else {
            return .none(reason: "no deployId, link, chainId or artifact matches a known deploy")
        }
        let restored = event.rolledBackToArtifact
        let started = byScope[Scope(service: service, environment: environment)] ?? []
        // The deploys started at or before the event are started[..<end]; the latest that does
        // not carry the artifact a rollback restored is the event's deploy.
        var low = 0
        var end = started.count
        while low < end {
            let mid = (low + end) / 2
            if started[mid].startedAt <= at { low = mid + 1 } else { end = mid }
        }
        guard let latest = started[..<end].last(where: { c in !(restored.map(c.artifactIds.contains) ?? false) }) else {
            return .none(
                reason: "no deploy of \(service)/\(environment) started before \(RFC3339.format(at))"
                    + (restored.map { " other than the one of \($0), the artifact rolled back to" } ?? ""))
        }
        guard at.timeIntervalSince(latest.startedAt) <= window else {
            return .none(
                reason:
                    "latest deploy of \(service)/\(environment) (\(latest.deployId)) started \(Int(at.timeIntervalSince(latest.startedAt)))s before the event, outside the \(Int(window))s window"
            )
        }
        return .deploy(latest.deployId, by: .serviceWindow)
    }
}
