import Foundation

/// Decodes CDEvents 0.4.x / 0.5.x events, validated against the shapes of the official schemas
/// (`additionalProperties: false`, required members, enums), into our typed events.
///
/// Defaults where CDEvents carries no equivalent and `customData` does not say:
/// rollback `mode` = `automatic`; incident `severity` = `high`; test suite gate = `ci`.
///
/// The context's version is `specversion` (0.5.x) or `version` (0.4.x). A CDEvents type the
/// product does not use (custom `dev.cdeventsx.` types included) is accepted and ignored: its context is validated, then decoding throws
/// ``DecodingError/ignored(path:reason:)``, never a rejection.
enum CDEventsDecoder {
    private static let contextFields: Set = [
        "specversion", "version", "id", "source", "type", "timestamp", "schemaUri", "chainId", "links",
    ]
    /// `<subject>.<predicate>` of the types the product maps to its events.
    static let usedTypes: Set = [
        "service.deployed", "service.upgraded", "service.rolledback", "incident.detected", "incident.reported",
        "testsuiterun.finished", "pipelinerun.finished",
    ]
    private static let linkFields: Set = ["linkType", "linkKind", "from", "target", "tags"]
    private static let outcomeOptions = ["success", "failure", "cancel", "error"]
    /// A 0.4.x test suite run's outcomes, in the order of ``outcomeOptions`` they mean.
    private static let testOutcomeOptions04 = ["pass", "fail", "cancel", "error"]

    /// Decodes the CDEvent at `path` ("" for a bare CDEvent, "data" inside a CloudEvent).
    static func decode(_ value: JSONValue, path: String, context: DecodingContext) throws(DecodingError) -> DecodedEvent
    {
        let root = try FieldReader(value, path: path, context: context)
        try root.rejectUnknown(allowing: ["context", "subject", "customData", "customDataContentType"])
        let ctx = try root.requiredObject("context")
        try ctx.rejectUnknown(allowing: contextFields)
        let version = try ctx.string("version")
        if version != nil, try ctx.string("specversion") != nil {
            throw DecodingError(
                path: ctx.childPath("version"), reason: "give the version once, as specversion (0.5) or version (0.4)")
        }
        let specversion: String
        if let version { specversion = version } else { specversion = try ctx.requiredString("specversion") }
        guard specversion.hasPrefix("0.4.") || specversion.hasPrefix("0.5.") else {
            throw DecodingError(
                path: ctx.childPath("specversion"), reason: "expected CDEvents 0.4.x or 0.5.x, got \"\(specversion)\"")
        }
        let type = try ctx.requiredString("type")
        let id = try ctx.requiredString("id")
        let source = try ctx.requiredString("source")
        let timestamp = try ctx.requiredDate("timestamp")
        let parts = type.split(separator: ".")
        guard parts.count >= 6, parts[0] == "dev", parts[1] == "cdevents" || parts[1] == "cdeventsx" else {
            throw DecodingError(path: ctx.childPath("type"), reason: "not a CDEvents type: \"\(type)\"")
        }
        guard parts[1] == "cdevents", usedTypes.contains("\(parts[2]).\(parts[3])") else {
            _ = try links(ctx)
            throw DecodingError.ignored(
                path: ctx.childPath("type"), reason: "CDEvents type \"\(type)\" is not used: accepted and ignored")
        }
        let subject = try root.requiredObject("subject")
        try subject.rejectUnknown(allowing: ["id", "source", "type", "content"])
        let subjectId = try subject.requiredString("id")
        let content = try subject.requiredObject("content")
        let custom = try customData(root)
        let input = Input(
            subjectId: subjectId, content: content, custom: custom, timestamp: timestamp,
            v04: specversion.hasPrefix("0.4."))
        let event: InputEvent
        var artifactId: String?
        switch "\(parts[2]).\(parts[3])" {
        case "service.deployed", "service.upgraded":
            (event, artifactId) = try deployed(input, eventId: id)
        case "service.rolledback":
            (event, artifactId) = try rolledBack(input)
        case "incident.detected", "incident.reported":
            (event, artifactId) = try incident(input, reported: parts[3] == "reported")
        case "testsuiterun.finished":
            event = try testSuiteRun(input)
        case "pipelinerun.finished":
            event = try pipelineRun(input)
        default:
            preconditionFailure("usedTypes lists \(type)")
        }
        return DecodedEvent(
            key: EventKey(source: source, id: id), type: type, time: timestamp, event: event,
            chainId: try ctx.string("chainId"), linkedContextIds: try links(ctx), artifactId: artifactId)
    }

    /// What every subject mapping needs.
    private struct Input {
        let subjectId: String
        let content: FieldReader
        let custom: FieldReader?
        let timestamp: Date
        /// CDEvents 0.4.x: `pipelinerun` content names its link `url` (0.5: `uri`), a test suite
        /// run's outcome is `pass|fail|cancel|error` (0.5: `success|failure|cancel|error`).
        let v04: Bool
    }

    private static func customData(_ root: FieldReader) throws(DecodingError) -> FieldReader? {
        guard let value = root.fields["customData"], case .object = value else { return nil }
        return try root.object("customData")
    }

    private static func links(_ ctx: FieldReader) throws(DecodingError) -> [String] {
        var ids: [String] = []
        for link in try ctx.objects("links") {
            try link.rejectUnknown(allowing: linkFields)
            let linkType = try link.requiredString("linkType")
            guard ["END", "PATH", "RELATION"].contains(linkType) else {
                throw DecodingError(
                    path: link.childPath("linkType"), reason: "expected one of END|PATH|RELATION, got \"\(linkType)\"")
            }
            if linkType == "RELATION" {
                _ = try link.requiredString("linkKind")
                if let id = try link.requiredObject("target").string("contextId") { ids.append(id) }
            } else {
                let from = linkType == "PATH" ? try link.requiredObject("from") : try link.object("from")
                if let from { ids.append(try from.requiredString("contextId")) }
            }
        }
        return ids
    }

    private static func environment(_ content: FieldReader, required: Bool = true) throws(DecodingError) -> String? {
        guard let env = required ? try content.requiredObject("environment") : try content.object("environment") else {
            return nil
        }
        try env.rejectUnknown(allowing: ["id", "source"])
        return try env.requiredString("id")
    }

    /// The outcome as one of ``outcomeOptions``, read from `options` (same order, another vocabulary).
    private static func outcome(
        _ content: FieldReader, required: Bool, options: [String] = outcomeOptions
    ) throws(DecodingError) -> String? {
        guard let raw = required ? try content.requiredString("outcome") : try content.string("outcome") else {
            return nil
        }
        guard let index = options.firstIndex(of: raw) else {
            throw DecodingError(
                path: content.childPath("outcome"),
                reason: "expected one of \(options.joined(separator: "|")), got \"\(raw)\"")
        }
        return outcomeOptions[index]
    }

    private static func deployed(_ i: Input, eventId: String) throws(DecodingError) -> (InputEvent, String?) {
        try i.content.rejectUnknown(allowing: ["environment", "artifactId"])
        let artifactId = try i.content.requiredString("artifactId")
        let started = DeployStarted(
            deployId: try i.custom?.string("deployId") ?? eventId,
            service: try i.custom?.string("service") ?? i.subjectId,
            environment: try environment(i.content)!, startedAt: i.timestamp,
            artifact: Artifact(
                name: try i.custom?.string("artifactName"), version: try i.custom?.string("version"), purl: artifactId),
            commit: try i.custom?.string("commit"), team: try i.custom?.string("team"),
            owner: try i.custom?.string("owner"), pipelineUrl: try i.custom?.string("pipelineUrl"))
        return (.deployStarted(started), artifactId)
    }

    private static func rolledBack(_ i: Input) throws(DecodingError) -> (InputEvent, String?) {
        try i.content.rejectUnknown(allowing: ["environment", "artifactId"])
        let artifactId = try i.content.requiredString("artifactId")
        let rollback = Rollback(
            service: try i.custom?.string("service") ?? i.subjectId, environment: try environment(i.content)!,
            mode: try i.custom?.enumeration("mode", RollbackMode.self) ?? .automatic, rolledBackAt: i.timestamp,
            deployId: try i.custom?.string("deployId"), initiatedBy: try i.custom?.string("initiatedBy"),
            reason: try i.custom?.string("reason"), triggerMetric: try i.custom?.string("triggerMetric"),
            toVersion: try i.custom?.string("toVersion"), toArtifact: artifactId)
        return (.rolledBack(rollback), artifactId)
    }

    private static func incident(_ i: Input, reported: Bool) throws(DecodingError) -> (InputEvent, String?) {
        try i.content.rejectUnknown(allowing: ["description", "environment", "ticketURI", "service", "artifactId"])
        let ticket = reported ? try i.content.requiredString("ticketURI") : try i.content.string("ticketURI")
        var service = try i.custom?.string("service")
        if let s = try i.content.object("service") {
            try s.rejectUnknown(allowing: ["id", "source"])
            service = try s.requiredString("id")
        }
        guard let service else {
            throw DecodingError(
                path: i.content.childPath("service"),
                reason: "required field is missing (needed to attribute customer impact)")
        }
        let impact = CustomerImpact(
            service: service, environment: try environment(i.content)!,
            severity: try i.custom?.enumeration("severity", ImpactSeverity.self) ?? .high,
            startedAt: try i.custom?.date("startedAt") ?? i.timestamp, deployId: try i.custom?.string("deployId"),
            detectedAt: i.timestamp, description: try i.content.string("description"), incidentUrl: ticket)
        return (.impactedCustomers(impact), try i.content.string("artifactId"))
    }

    private static func testSuiteRun(_ i: Input) throws(DecodingError) -> InputEvent {
        try i.content.rejectUnknown(allowing: ["environment", "testSuite", "outcome", "severity", "reason"])
        _ = try environment(i.content)
        let raw = try outcome(i.content, required: true, options: i.v04 ? testOutcomeOptions04 : outcomeOptions)!
        let gate = GateFinished(
            deployId: try i.custom?.string("deployId"), gate: try i.custom?.enumeration("gate", Gate.self) ?? .ci,
            outcome: raw == "success" ? .passed : raw == "cancel" ? .skipped : .failed,
            startedAt: try i.custom?.date("startedAt"), finishedAt: i.timestamp,
            trafficPercent: try i.custom?.number("trafficPercent", in: 0...100),
            checks: try i.custom.map { c throws(DecodingError) in try NativeDataDecoder.checks(c) } ?? [],
            ci: try i.custom?.object("ci").map { c throws(DecodingError) in try NativeDataDecoder.ciDetails(c) })
        return .gateFinished(gate)
    }

    private static func pipelineRun(_ i: Input) throws(DecodingError) -> InputEvent {
        try i.content.rejectUnknown(allowing: ["pipelineName", i.v04 ? "url" : "uri", "outcome", "errors"])
        let raw = try outcome(i.content, required: false)
        return .deployFinished(
            DeployFinished(
                deployId: try i.custom?.string("deployId"),
                outcome: raw == nil || raw == "success" ? .succeeded : raw == "cancel" ? .cancelled : .failed,
                finishedAt: i.timestamp, reason: try i.content.string("errors")))
    }
}
