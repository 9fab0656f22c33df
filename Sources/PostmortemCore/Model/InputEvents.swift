import Foundation

/// The artifact a deploy ships.
public struct Artifact: Sendable, Hashable, Codable {
    /// Artifact name, e.g. `checkout`.
    public var name: String?
    /// Version, e.g. `1.42.0`.
    public var version: String?
    /// Content digest, e.g. `sha256:…`.
    public var digest: String?
    /// Package URL (used to match CDEvents `artifactId`).
    public var purl: String?

    /// Creates an artifact description.
    public init(name: String? = nil, version: String? = nil, digest: String? = nil, purl: String? = nil) {
        self.name = name
        self.version = version
        self.digest = digest
        self.purl = purl
    }

    /// Identifiers other events may use to refer to this artifact.
    public var identifiers: Set<String> {
        Set([purl, digest, name.flatMap { n in version.map { "\(n)@\($0)" } }].compactMap { $0 })
    }
}

/// `deploy.started.v1`.
public struct DeployStarted: Sendable, Hashable {
    /// The deploy.
    public var deployId: String
    /// Service being deployed.
    public var service: String
    /// Target environment.
    public var environment: String
    /// When the rollout began.
    public var startedAt: Date
    /// What is deployed.
    public var artifact: Artifact?
    /// Source commit.
    public var commit: String?
    /// Owning team.
    public var team: String?
    /// Owning person.
    public var owner: String?
    /// Link to the deploy log.
    public var pipelineUrl: String?
}

/// One automated check of a canary or soak gate.
public struct GateCheck: Sendable, Hashable {
    /// Metric name.
    public var metric: String
    /// Threshold the observed value is compared with.
    public var threshold: Double
    /// The check fails when observed is above/below the threshold.
    public var direction: Direction
    /// Baseline value seen by the gate.
    public var baseline: Double?
    /// Observed value seen by the gate.
    public var observed: Double?
    /// Whether the check passed.
    public var passed: Bool?
}

/// A test that was retried during CI.
public struct RetriedTest: Sendable, Hashable {
    /// Test name.
    public var name: String
    /// Number of attempts.
    public var attempts: Int
    /// Outcome of the last attempt (`passed` / `failed`).
    public var finalOutcome: String
}

/// CI details of a `ci` gate.
public struct CIDetails: Sendable, Hashable {
    /// Link to the CI run.
    public var runUrl: String?
    /// Number of tests run.
    public var testsTotal: Int?
    /// Number of tests that failed.
    public var testsFailed: Int?
    /// Tests retried during the run.
    public var retriedTests: [RetriedTest]
    /// Where the test data came from.
    public var testData: TestData?
    /// Line coverage, percent.
    public var coveragePercent: Double?
}

/// `deploy.gate_finished.v1`.
public struct GateFinished: Sendable, Hashable {
    /// The deploy (required in our format; CDEvents may leave it to attribution).
    public var deployId: String?
    /// Which gate.
    public var gate: Gate
    /// How it ended.
    public var outcome: GateOutcome
    /// When it started.
    public var startedAt: Date?
    /// When it finished.
    public var finishedAt: Date?
    /// Share of traffic exposed, 0–100.
    public var trafficPercent: Double?
    /// Automated checks.
    public var checks: [GateCheck]
    /// CI details.
    public var ci: CIDetails?
}

/// `deploy.finished.v1`.
public struct DeployFinished: Sendable, Hashable {
    /// The deploy (required in our format; CDEvents may leave it to attribution).
    public var deployId: String?
    /// How it ended.
    public var outcome: DeployOutcome
    /// When it ended.
    public var finishedAt: Date
    /// Why (for failures).
    public var reason: String?
}

/// `deploy.intervened.v1`.
public struct Intervention: Sendable, Hashable {
    /// Service.
    public var service: String
    /// Environment.
    public var environment: String
    /// Kind of intervention.
    public var kind: InterventionKind
    /// When it happened.
    public var at: Date
    /// The deploy, when known.
    public var deployId: String?
    /// Who intervened.
    public var actor: String?
    /// What they did.
    public var description: String?
}

/// `deploy.impacted_customers.v1`.
public struct CustomerImpact: Sendable, Hashable {
    /// Service.
    public var service: String
    /// Environment.
    public var environment: String
    /// Reported severity.
    public var severity: ImpactSeverity
    /// When the impact began.
    public var startedAt: Date
    /// The deploy, when known.
    public var deployId: String?
    /// When it was detected.
    public var detectedAt: Date?
    /// What customers saw.
    public var description: String?
    /// Incident link.
    public var incidentUrl: String?
}

/// `deploy.rolled_back.v1`.
public struct Rollback: Sendable, Hashable {
    /// Service.
    public var service: String
    /// Environment.
    public var environment: String
    /// Who or what rolled back.
    public var mode: RollbackMode
    /// When the rollback happened.
    public var rolledBackAt: Date
    /// The deploy, when known.
    public var deployId: String?
    /// Person or system that initiated it.
    public var initiatedBy: String?
    /// Why.
    public var reason: String?
    /// Metric that triggered an automatic rollback.
    public var triggerMetric: String?
    /// Version rolled back to.
    public var toVersion: String?
    /// Artifact rolled back to (CDEvents `service.rolledback` names it in `artifactId`).
    public var toArtifact: String?
}

/// One metric sample.
public struct MetricPoint: Sendable, Hashable {
    /// Sample time.
    public var at: Date
    /// Sample value.
    public var value: Double

    /// Creates a sample.
    public init(at: Date, value: Double) {
        self.at = at
        self.value = value
    }
}

/// A declared service level objective for a metric.
public struct SLO: Sendable, Hashable {
    /// SLO threshold.
    public var threshold: Double
    /// The SLO is breached when the value is above/below the threshold.
    public var direction: Direction

    /// Creates an SLO.
    public init(threshold: Double, direction: Direction) {
        self.threshold = threshold
        self.direction = direction
    }
}

/// `metric.sampled.v1`.
public struct MetricSample: Sendable, Hashable {
    /// Service.
    public var service: String
    /// Environment.
    public var environment: String
    /// Metric name.
    public var metric: String
    /// Samples, 1–1000.
    public var points: [MetricPoint]
    /// Unit, e.g. `ms`.
    public var unit: String?
    /// Extra labels.
    public var labels: [String: String]
    /// Declared SLO.
    public var slo: SLO?
    /// The side that is bad, declared without a threshold (an SLO's direction wins over it).
    public var direction: Direction?

    /// Creates a sample (the service rebuilds samples from stored points).
    public init(
        service: String, environment: String, metric: String, points: [MetricPoint], unit: String? = nil,
        labels: [String: String] = [:], slo: SLO? = nil, direction: Direction? = nil
    ) {
        self.service = service
        self.environment = environment
        self.metric = metric
        self.points = points
        self.unit = unit
        self.labels = labels
        self.slo = slo
        self.direction = direction
    }
}

/// A typed input event (the `data` of one accepted message).
public enum InputEvent: Sendable, Hashable {
    /// A deploy began.
    case deployStarted(DeployStarted)
    /// A gate finished.
    case gateFinished(GateFinished)
    /// A deploy ended.
    case deployFinished(DeployFinished)
    /// A person intervened.
    case intervened(Intervention)
    /// Customers were impacted.
    case impactedCustomers(CustomerImpact)
    /// The deploy was rolled back.
    case rolledBack(Rollback)
    /// Metric samples.
    case metricSampled(MetricSample)

    /// What kind of event it is, whatever format it came in: `deploy.started`,
    /// `deploy.gate_finished`, `deploy.finished`, `deploy.intervened`,
    /// `deploy.impacted_customers`, `deploy.rolled_back` or `metric.sampled` (a metrics label).
    public var kind: String {
        switch self {
        case .deployStarted: "deploy.started"
        case .gateFinished: "deploy.gate_finished"
        case .deployFinished: "deploy.finished"
        case .intervened: "deploy.intervened"
        case .impactedCustomers: "deploy.impacted_customers"
        case .rolledBack: "deploy.rolled_back"
        case .metricSampled: "metric.sampled"
        }
    }

    /// Whether the event reports a failure that would make its deploy's postmortem (a rollback,
    /// customer impact, an intervention, a failed gate or deploy): one that cannot be attributed
    /// must be surfaced, never silently dropped.
    public var reportsFailure: Bool {
        switch self {
        case .rolledBack, .impactedCustomers, .intervened: true
        case .gateFinished(let e): e.outcome == .failed
        case .deployFinished(let e): e.outcome == .failed
        case .deployStarted, .metricSampled: false
        }
    }

    /// The deploy the event names itself, if any.
    public var deployId: String? {
        switch self {
        case .deployStarted(let e): e.deployId
        case .gateFinished(let e): e.deployId
        case .deployFinished(let e): e.deployId
        case .intervened(let e): e.deployId
        case .impactedCustomers(let e): e.deployId
        case .rolledBack(let e): e.deployId
        case .metricSampled: nil
        }
    }

    /// The service and environment the event names; nil for gate and finish events, which
    /// only name their deploy.
    public var serviceAndEnvironment: (service: String, environment: String)? {
        switch self {
        case .deployStarted(let e): (e.service, e.environment)
        case .intervened(let e): (e.service, e.environment)
        case .impactedCustomers(let e): (e.service, e.environment)
        case .rolledBack(let e): (e.service, e.environment)
        case .metricSampled(let e): (e.service, e.environment)
        case .gateFinished, .deployFinished: nil
        }
    }

    /// The time the event is about (used for attribution and ordering).
    public var occurredAt: Date {
        switch self {
        case .deployStarted(let e): e.startedAt
        case .gateFinished(let e): e.finishedAt ?? e.startedAt ?? .distantPast
        case .deployFinished(let e): e.finishedAt
        case .intervened(let e): e.at
        case .impactedCustomers(let e): e.startedAt
        case .rolledBack(let e): e.rolledBackAt
        case .metricSampled(let e): e.points.map(\.at).min() ?? .distantPast
        }
    }
}

/// The identity of a message: CloudEvents `source` + `id`. A repeated key is a duplicate.
public struct EventKey: Sendable, Hashable, Comparable {
    /// CloudEvents `source`.
    public var source: String
    /// CloudEvents `id`.
    public var id: String

    /// Creates a key.
    public init(source: String, id: String) {
        self.source = source
        self.id = id
    }

    /// Orders by source, then id.
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.source, lhs.id) < (rhs.source, rhs.id) }
}

/// A decoded, validated message: its identity, envelope facts and typed event.
public struct DecodedEvent: Sendable, Hashable {
    /// `source` + `id` of the message.
    public var key: EventKey
    /// The CloudEvents / CDEvents type as received.
    public var type: String
    /// The envelope `time`, when present.
    public var time: Date?
    /// The typed event.
    public var event: InputEvent
    /// CDEvents `chainId`, when present.
    public var chainId: String?
    /// CDEvents context IDs this event links to.
    public var linkedContextIds: [String]
    /// Artifact identifier the event refers to (CDEvents `artifactId`), for attribution.
    public var artifactId: String?
    /// SHA-1 (hex) of the message's canonical JSON (keys sorted; in binary mode the `ce_*`
    /// attributes and the data): tells conflicting duplicates (same source + id, different
    /// content) apart and picks one of them whatever the order. Empty when not decoded from a message.
    public var contentDigest = ""
    /// The W3C trace context the message carried, when valid: its CloudEvents `traceparent`
    /// attribute (`ce_traceparent` in binary mode), else its `traceparent` header. Not part of
    /// the event's content: it only links the output events to the trace.
    public var traceParent: TraceParent?

    /// Creates a decoded event.
    public init(
        key: EventKey, type: String, time: Date? = nil, event: InputEvent,
        chainId: String? = nil, linkedContextIds: [String] = [], artifactId: String? = nil
    ) {
        self.key = key
        self.type = type
        self.time = time
        self.event = event
        self.chainId = chainId
        self.linkedContextIds = linkedContextIds
        self.artifactId = artifactId
    }
}
