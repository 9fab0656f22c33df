import Foundation
import Testing

@testable import PostmortemCore

/// Keeps docs/events (JSON Schemas and examples) and the decoder in sync.
@Suite("docs/events")
struct SchemaDocsTests {
    /// `docs/events` of the package, found relative to this file.
    static let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/events")

    static func files(_ folder: String, ext: String) -> [URL] {
        let dir = docs.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix("." + ext) }.sorted().map { dir.appendingPathComponent($0) }
    }

    static func load(_ url: URL) throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: url)), maxDepth: 64)
    }

    static func decode(_ value: JSONValue) throws(DecodingError) -> DecodedEvent {
        try EventDecoder().decode(json: Array(value.serialized.utf8), now: Fixture.now)
    }

    @Test func examplesExist() {
        #expect(Self.files("examples/valid", ext: "json").count >= 13)
        #expect(Self.files("examples/invalid", ext: "json").count >= 14)
        #expect(Self.files("", ext: "json").count == 9)
    }

    @Test(arguments: files("examples/valid", ext: "json"))
    func validExampleDecodes(_ url: URL) throws {
        #expect(throws: Never.self) { try Self.decode(try Self.load(url)) }
    }

    @Test(arguments: files("examples/invalid", ext: "json"))
    func invalidExampleFailsWithDocumentedError(_ url: URL) throws {
        let expected = try String(
            contentsOf: url.deletingPathExtension().appendingPathExtension("error"), encoding: .utf8
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
        let value = try Self.load(url)
        do {
            _ = try Self.decode(value)
            Issue.record("\(url.lastPathComponent) was accepted")
        } catch {
            #expect(error.description == expected)
        }
    }

    /// Input schemas: every required `data` member is required by the decoder, every enum is the decoder's.
    @Test(arguments: files("", ext: "json").filter { $0.lastPathComponent.hasSuffix(".v1.schema.json") })
    func inputSchemaMatchesDecoder(_ url: URL) throws {
        guard case .object(let schema) = try Self.load(url),
            case .object(let properties) = schema["properties"], case .object(let typeSchema) = properties["type"],
            case .array(let types) = typeSchema["enum"], case .string(let type) = types.first,
            case .object(let dataSchema) = properties["data"], case .array(let required) = dataSchema["required"],
            case .object(let dataProperties) = dataSchema["properties"]
        else {
            Issue.record("unexpected schema shape")
            return
        }
        let example = try #require(
            try Self.files("examples/valid", ext: "json").map(Self.load).first { value in
                if case .object(let f) = value, f["type"] == .string(type) { true } else { false }
            })
        guard case .object(var event) = example, case .object(let data) = event["data"] else { return }
        for case .string(let field) in required {
            var mutated = data
            mutated[field] = nil
            event["data"] = .object(mutated)
            #expect(throws: DecodingError(path: "data.\(field)", reason: "required field is missing")) {
                try Self.decode(.object(event))
            }
        }
        for (field, property) in dataProperties {
            guard case .object(let p) = property, case .array(let options) = p["enum"] else { continue }
            var mutated = data
            mutated[field] = .string("zzz")
            event["data"] = .object(mutated)
            let list = options.map { if case .string(let s) = $0 { s } else { "" } }.joined(separator: "|")
            #expect(throws: DecodingError(path: "data.\(field)", reason: "expected one of \(list), got \"zzz\"")) {
                try Self.decode(.object(event))
            }
        }
    }

    /// Output schemas: every required member is present in what the encoder emits, and the type is listed.
    @Test(arguments: ["postmortem", "action_item"])
    func outputSchemaMatchesEncoder(_ name: String) throws {
        let p = try ActionItemTests.postmortem("d-25")
        let event =
            name == "postmortem"
            ? OutputEventEncoder().encode(p, as: .opened, at: p.detectedAt)
            : OutputEventEncoder().encode(
                p.actionItems[0].created(by: "deploy-postmortem", at: p.detectedAt),
                in: ActionItemEventScope(service: p.service, environment: p.environment, version: 1))
        guard case .object(let schema) = try Self.load(Self.docs.appendingPathComponent("\(name).schema.json")),
            case .array(let required) = schema["required"], case .object(let properties) = schema["properties"],
            case .object(let typeSchema) = properties["type"], case .array(let types) = typeSchema["enum"],
            case .object(let dataSchema) = properties["data"], case .array(let dataRequired) = dataSchema["required"],
            case .object(let emitted) = try JSONParser.parse(event.value, maxDepth: 32),
            case .object(let data) = emitted["data"]
        else {
            Issue.record("unexpected shape")
            return
        }
        #expect(types.contains(.string(event.type)))
        for case .string(let field) in required { #expect(emitted[field] != nil, "missing \(field)") }
        for case .string(let field) in dataRequired { #expect(data[field] != nil, "missing data.\(field)") }
    }

    /// The postmortem schema's enums are the model's: finding, data-quality and went-well kinds.
    @Test func postmortemSchemaEnumsMatchTheModel() throws {
        guard case .object(let schema) = try Self.load(Self.docs.appendingPathComponent("postmortem.schema.json")),
            case .object(let properties) = schema["properties"], case .object(let data) = properties["data"],
            case .object(let fields) = data["properties"]
        else {
            Issue.record("unexpected shape")
            return
        }
        func kinds(_ field: String) -> [String] {
            guard case .object(let array) = fields[field], case .object(let items) = array["items"],
                case .object(let members) = items["properties"], case .object(let kind) = members["kind"],
                case .array(let values) = kind["enum"]
            else { return [] }
            return values.compactMap { if case .string(let s) = $0 { s } else { nil } }
        }
        #expect(kinds("findings") == FindingKind.allCases.map(\.rawValue))
        #expect(kinds("dataQuality") == DataQualityKind.allCases.map(\.rawValue))
        #expect(kinds("wentWell") == SuccessKind.allCases.map(\.rawValue))
    }

    /// The `analyze` sample (all valid examples as JSON lines) makes one postmortem for d-42.
    @Test func analyzeSample() throws {
        let text = try String(
            contentsOf: Self.docs.appendingPathComponent("examples/analyze-sample.jsonl"), encoding: .utf8)
        let events = try text.split(separator: "\n").map {
            try EventDecoder().decode(json: Array($0.utf8), now: Fixture.now)
        }
        let report = BatchAnalysis().run(events)
        #expect(report.unattributed.isEmpty)
        #expect(report.postmortems.map(\.deployId) == ["d-42"])
        #expect(report.postmortems.first?.severity == .sev1)
        // Two reports say "payments time out": the impact says it once. The rollback came 20 min
        // after customer impact began, past the 10 min target: nothing to keep.
        #expect(report.postmortems.first?.impact?.what == "payments time out")
        #expect(report.postmortems.first?.wentWell == [])
        #expect(
            report.postmortems.first?.findings.map(\.kind) == [
                .ciCoverageGap, .ciFlakyTests, .ciSyntheticTestData, .intervention, .manualRollback,
            ])
    }
}
