import Foundation
import PostmortemCore
import Testing

/// Ties the decoder to the official CDEvents 0.5.1 schemas (vendored in Fixtures/cdevents/v0.5.1/schemas):
/// every field a schema requires must be present in our valid example, and removing it must make
/// the decoder reject the event with an error that names the field.
@Suite("Official CDEvents schemas")
struct OfficialCDEventsSchemaTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let schemas = Fixture.cdevents.appendingPathComponent("v0.5.1/schemas")
    static let examples = repository.appendingPathComponent("docs/events/examples/valid")
    static let now = Date(timeIntervalSince1970: 1_795_750_000)  // 2026-11-27

    /// Accepted CDEvents types: official schema, our valid example, the type to give it and
    /// extra `subject.content` fields that type needs.
    static let cases: [(schema: String, example: String, type: String?, content: [String: String])] = [
        ("servicedeployed", "cdevents-service.deployed-0.5.json", nil, [:]),
        ("serviceupgraded", "cdevents-service.deployed-0.5.json", "dev.cdevents.service.upgraded.0.3.0", [:]),
        ("servicerolledback", "cdevents-service.rolledback-0.4-in-cloudevent.json", nil, [:]),
        ("incidentdetected", "cdevents-incident.detected.json", nil, [:]),
        (
            "incidentreported", "cdevents-incident.detected.json", "dev.cdevents.incident.reported.0.3.0",
            ["ticketURI": "https://tickets.example.com/INC-7"]
        ),
        ("testsuiterunfinished", "cdevents-testsuiterun.finished.json", nil, [:]),
        ("pipelinerunfinished", "cdevents-pipelinerun.finished.json", nil, [:]),
    ]

    /// Dotted paths of every field `schema` requires, following required objects down.
    static func requiredPaths(_ schema: [String: Any], prefix: String = "") -> [String] {
        let properties = schema["properties"] as? [String: Any] ?? [:]
        return (schema["required"] as? [String] ?? []).flatMap { name -> [String] in
            let path = prefix.isEmpty ? name : "\(prefix).\(name)"
            guard let child = properties[name] as? [String: Any], child["required"] != nil else { return [path] }
            return [path] + requiredPaths(child, prefix: path)
        }
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any],
            "\(url.path) is not a JSON object")
    }

    /// The bare CDEvent of an example (unwrapping CloudEvents `data`), with `type` set if given.
    static func cdevent(_ example: String, type: String?, content: [String: String]) throws -> [String: Any] {
        var event = try json(examples.appendingPathComponent(example))
        if let data = event["data"] as? [String: Any] { event = data }
        if let type, var context = event["context"] as? [String: Any] {
            context["type"] = type
            event["context"] = context
        }
        if var subject = event["subject"] as? [String: Any], var fields = subject["content"] as? [String: Any] {
            fields.merge(content) { $1 }
            subject["content"] = fields
            event["subject"] = subject
        }
        return event
    }

    static func removing(_ path: [String], from object: [String: Any]) -> [String: Any]? {
        var object = object
        guard let head = path.first, object[head] != nil else { return nil }
        if path.count == 1 {
            object[head] = nil
            return object
        }
        guard let child = object[head] as? [String: Any], let updated = removing(Array(path.dropFirst()), from: child)
        else { return nil }
        object[head] = updated
        return object
    }

    static func decode(_ object: [String: Any]) throws -> DecodedEvent {
        try EventDecoder().decode(json: Array(try JSONSerialization.data(withJSONObject: object)), now: now)
    }

    @Test(arguments: cases.indices)
    func everyRequiredFieldIsEnforced(_ index: Int) throws {
        let (schemaName, example, type, content) = Self.cases[index]
        let schema = try Self.json(Self.schemas.appendingPathComponent("\(schemaName).json"))
        let event = try Self.cdevent(example, type: type, content: content)
        _ = try Self.decode(event)
        let paths = Self.requiredPaths(schema)
        #expect(paths.contains("context.timestamp") && paths.contains("subject.id"), "\(schemaName): schema not read")
        for path in paths {
            let components = path.split(separator: ".").map(String.init)
            let stripped = try #require(
                Self.removing(components, from: event), "\(example) lacks \(path), which \(schemaName) requires")
            #expect(throws: DecodingError.self, "\(schemaName): missing \(path) must be rejected") {
                try Self.decode(stripped)
            }
            do {
                _ = try Self.decode(stripped)
            } catch {
                #expect("\(error)".contains(components.last!), "\(schemaName): error for missing \(path) was \(error)")
            }
        }
    }
}
