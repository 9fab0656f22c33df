import Foundation
import PostmortemCore
import Testing

/// Decodes every official CDEvents conformance example (cdevents/spec v0.4.1, v0.5.0 and v0.5.1,
/// vendored in Fixtures/cdevents/<tag>/conformance) with the service's `EventDecoder`.
///
/// Every example must be accepted: used when the product needs its type (the seven types it maps,
/// in every version, 0.4.1's `context.version` included), otherwise ignored (counted, never
/// dead-lettered). The earlier "known gaps" (every v0.4.1 example, every other type) are fixed.
@Suite("CDEvents conformance examples")
struct CDEventsConformanceTests {
    static let tags = ["v0.4.1", "v0.5.0", "v0.5.1"]

    /// `<tag>/<file name>` of every vendored example.
    static let examples: [String] = tags.flatMap { tag in
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder(tag).path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { "\(tag)/\($0)" }
    }

    static func folder(_ tag: String) -> URL { Fixture.cdevents.appendingPathComponent("\(tag)/conformance") }

    /// The file of `<tag>/<file name>`.
    static func url(of example: String) -> URL {
        Fixture.cdevents.appendingPathComponent(example.replacingOccurrences(of: "/", with: "/conformance/"))
    }

    /// The examples whose type the product uses, with the event each becomes.
    static let used = [
        "service_deployed": "deploy.started", "service_upgraded": "deploy.started",
        "service_rolledback": "deploy.rolled_back", "incident_detected": "deploy.impacted_customers",
        "incident_reported": "deploy.impacted_customers", "testsuiterun_finished": "deploy.gate_finished",
        "pipelinerun_finished": "deploy.finished",
    ]

    @Test func everyTagIsVendored() {
        for tag in Self.tags {
            #expect(
                Self.examples.filter { $0.hasPrefix(tag + "/") }.count == 46, "\(tag): expected 46 conformance examples"
            )
        }
    }

    @Test(arguments: examples)
    func usedOrIgnored(_ example: String) throws {
        let bytes = Array(try Data(contentsOf: Self.url(of: example)))
        let name = example.split(separator: "/").last!.replacingOccurrences(of: "conformance_", with: "")
            .replacingOccurrences(of: ".json", with: "")
        do {
            let decoded = try EventDecoder().decode(json: bytes, now: Fixture.now)
            #expect(Self.used[name] == decoded.event.kind, "\(example) used as \(decoded.event.kind)")
        } catch {
            #expect(error.isIgnored && Self.used[name] == nil, "\(example) rejected: \(error)")
        }
    }
}
