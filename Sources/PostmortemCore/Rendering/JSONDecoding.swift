import Foundation

/// Postmortems read back from their JSON (``Postmortem/json``): the document the service stores
/// and publishes, so it renders Markdown without analyzing the deploy's events again.
extension Postmortem {
    /// Reads `document` (a ``json`` as stored) back, with `actionItems` (as stored, any order)
    /// placed in the order of its `actionItemIds`; items it does not list are left out.
    ///
    /// The document carries what the postmortem shows, not the analysis' working figures: a
    /// metric's point counts, last breach and largest gap are zero or absent, and times are kept
    /// to the millisecond. Encoding the result gives `document` again, and Markdown renders the
    /// same as from the analysis. Throws when a member is missing, of the wrong type, or an
    /// action item is not among `actionItems`, naming its path (e.g. `findings[2].kind`).
    public init(document: JSONValue, actionItems: [ActionItem]) throws(DecodingError) {
        let r = try FieldReader(document, path: "", context: .storedDocument)
        let itemsById = Dictionary(actionItems.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var items: [ActionItem] = []
        for (offset, id) in try r.strings("actionItemIds").enumerated() {
            guard let item = itemsById[id] else {
                throw DecodingError(path: "actionItemIds[\(offset)]", reason: "no stored action item \(id)")
            }
            items.append(item)
        }
        let triggeredAt = try r.members("triggeredAt") { (o, k) throws(DecodingError) in try o.requiredDate(k) }
        var triggers: [TriggerOccurrence] = []
        for (offset, text) in try r.strings("triggers").enumerated() {
            let path = "triggers[\(offset)]"
            guard let trigger = Trigger(description: text) else {
                throw DecodingError(path: path, reason: "unknown trigger \"\(text)\"")
            }
            guard let at = triggeredAt[text] else {
                throw DecodingError(path: "triggeredAt", reason: "no time for trigger \"\(text)\"")
            }
            triggers.append(TriggerOccurrence(trigger: trigger, at: at))
        }
        var gates: [Gate: GateOutcome] = [:]
        for (name, outcome) in try r.members(
            "gates",
            { (o, k) throws(DecodingError) in
                try o.requiredEnumeration(k, GateOutcome.self)
            })
        {
            guard let gate = Gate(rawValue: name) else {
                throw DecodingError(path: "gates.\(name)", reason: "unknown gate")
            }
            gates[gate] = outcome
        }
        self.init(
            id: try r.requiredString("id"), deployId: try r.requiredString("deployId"),
            service: try r.requiredString("service"), environment: try r.requiredString("environment"),
            artifact: try r.object("artifact").map { a throws(DecodingError) in
                Artifact(
                    name: try a.string("name"), version: try a.string("version"), digest: try a.string("digest"),
                    purl: try a.string("purl"))
            },
            commit: try r.string("commit"), owner: try r.requiredString("owner"), gates: gates,
            impact: try r.object("impact").map(ImpactSummary.init(reading:)),
            impactStatement: try r.requiredString("impactStatement"),
            response: try ResponseTimes(reading: r.requiredObject("response")), triggers: triggers,
            severity: try r.requiredEnumeration("severity", Severity.self),
            status: try r.requiredEnumeration("status", PostmortemStatus.self),
            detectedAt: try r.requiredDate("detectedAt"), rolledBackAt: try r.date("rolledBackAt"),
            rollbackTarget: try r.object("rollbackTarget").map(RollbackTarget.init(reading:)),
            assumptions: try r.strings("assumptions"),
            dataQuality: try r.objects("dataQuality").map { w throws(DecodingError) in
                DataQualityWarning(
                    kind: try w.requiredEnumeration("kind", DataQualityKind.self),
                    metric: try w.requiredString("metric"),
                    summary: try w.requiredString("summary"), evidence: try w.requiredObject("evidence").fields)
            },
            contributingMetrics: try r.objects("contributingMetrics").map { m throws(DecodingError) in
                try MetricCorrelation(reading: m, contributing: true)
            },
            ruledOutMetrics: try r.objects("ruledOutMetrics").map { m throws(DecodingError) in
                try MetricCorrelation(reading: m, contributing: false)
            },
            wentWell: try r.objects("wentWell").map { s throws(DecodingError) in
                Success(
                    kind: try s.requiredEnumeration("kind", SuccessKind.self), summary: try s.requiredString("summary"),
                    evidence: try s.requiredObject("evidence").fields)
            },
            findings: try r.objects("findings").map(Finding.init(reading:)), actionItems: items,
            timeline: try r.objects("timeline").map { e throws(DecodingError) in
                TimelineEntry(at: try e.requiredDate("at"), text: try e.requiredString("text"))
            },
            links: try r.members("links") { (o, k) throws(DecodingError) in try o.requiredString(k) },
            pendingMetrics: try r.strings("pendingMetrics"))
    }
}

extension DecodingContext {
    /// Reads what the service wrote itself: no input limits, empty strings kept.
    static let storedDocument = DecodingContext(
        limits: DecodingLimits(
            maxMessageBytes: .max, maxDepth: .max, maxStringLength: .max, maxFutureSkew: 0,
            maxNumberMagnitude: .greatestFiniteMagnitude),
        now: .distantFuture, allowsEmptyStrings: true)
}

extension ImpactSummary {
    /// Reads ``json`` back (its durations follow from its times).
    init(reading r: FieldReader) throws(DecodingError) {
        severity = try r.requiredEnumeration("severity", ImpactSeverity.self)
        what = try r.string("description")
        startedAt = try r.requiredDate("startedAt")
        detectedAt = try r.date("detectedAt")
        mitigatedAt = try r.date("mitigatedAt")
        incidentUrl = try r.string("incidentUrl")
    }
}

extension RollbackTarget {
    /// Reads the `rollbackTarget` of ``Postmortem/json`` back.
    init(reading r: FieldReader) throws(DecodingError) {
        version = try r.string("version")
        artifact = try r.string("artifact")
    }
}

extension ResponseTimes {
    /// Reads ``json`` back (its durations follow from its times).
    init(reading r: FieldReader) throws(DecodingError) {
        self.init(
            problemStartedAt: try r.date("problemStartedAt"), detectedAt: try r.date("detectedAt"),
            mitigatedAt: try r.date("mitigatedAt"))
    }
}

extension MetricCorrelation {
    /// Reads ``json`` back; `contributing` says which list of the postmortem it came from.
    init(reading r: FieldReader, contributing: Bool) throws(DecodingError) {
        let metric = try r.requiredString("metric")
        self.init(
            metric: metric, metricName: String(metric.prefix { $0 != "{" }),
            labels: try r.members("labels") { (o, k) throws(DecodingError) in try o.requiredString(k) },
            unit: try r.string("unit"), direction: try r.requiredEnumeration("direction", Direction.self),
            directionSource: try r.requiredEnumeration("directionSource", DirectionSource.self),
            baseline: try r.requiredNumber("baseline"), limit: try r.requiredNumber("limit"),
            peak: try r.requiredNumber("peak"), onset: try r.date("onset"), lastBreach: nil,
            breachFraction: try r.requiredNumber("breachFraction"), observedPoints: 0, baselinePoints: 0,
            largestGap: nil, sloBreached: try r.requiredBool("sloBreached"), contributing: contributing,
            reason: try r.string("reason"))
    }
}

extension Finding {
    /// Reads ``json`` back.
    init(reading r: FieldReader) throws(DecodingError) {
        self.init(
            kind: try r.requiredEnumeration("kind", FindingKind.self),
            area: try r.requiredEnumeration("gate", FindingArea.self), metric: try r.string("metric"),
            summary: try r.requiredString("summary"), fix: try r.requiredString("fix"),
            evidence: try r.requiredObject("evidence").fields,
            proposal: try r.object("proposal").map(ActionProposal.init(reading:)))
        key = try r.requiredString("key")
    }
}

extension ActionProposal {
    /// Reads ``json`` back.
    init(reading r: FieldReader) throws(DecodingError) {
        self.init(
            setting: try r.requiredEnumeration("setting", Setting.self), metric: try r.requiredString("metric"),
            gate: try r.requiredEnumeration("gate", Gate.self), current: try r.number("current"),
            proposed: try r.requiredNumber("proposed"), trippedAt: try r.date("trippedAt"),
            leadSeconds: try r.number("leadSeconds"), falseAlarms: try r.requiredInteger("falseAlarms"),
            healthyRuns: try r.requiredInteger("healthyRuns"), detectableShift: try r.number("detectableShift"))
    }
}
