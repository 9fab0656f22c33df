import Foundation
import TestSupport
import Testing

/// `deploy-postmortem analyze` run as a real process on the documented sample.
@Suite("analyze command")
struct AnalyzeCommandTests {
    static let sample = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/events/examples/analyze-sample.jsonl").path

    @Test func printsThePostmortemAsJSON() throws {
        let outcome = try BuiltProducts.runDeployPostmortem([
            "analyze", Self.sample, "--now", "2026-11-26T18:00:00Z", "--format", "json",
        ])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let postmortems = try #require(
            try JSONSerialization.jsonObject(with: Data(outcome.standardOutput.utf8)) as? [[String: Any]])
        #expect(postmortems.count == 1)
        let postmortem = try #require(postmortems.first)
        #expect(postmortem["deployId"] as? String == "d-42")
        #expect(postmortem["rolledBackAt"] as? String == "2026-11-26T10:35:00Z")
        #expect((postmortem["actionItemIds"] as? [String])?.count == 5)
    }

    @Test func rendersMarkdownFromStandardInput() throws {
        let events = try String(contentsOfFile: Self.sample, encoding: .utf8)
        let outcome = try BuiltProducts.runDeployPostmortem(
            ["analyze", "-", "--now", "2026-11-26T18:00:00Z"], input: events)
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput.hasPrefix("# Postmortem: checkout in prod (SEV1)\n"))
        for section in ["## Timeline", "## Contributing metrics", "## Why CI did not catch it", "## Action items"] {
            #expect(outcome.standardOutput.contains(section), "missing \(section)")
        }
    }

    @Test func rejectedLinesAreReportedWithTheirLineAndExitTwo() throws {
        let outcome = try BuiltProducts.runDeployPostmortem(["analyze", "-"], input: "{\"nope\":1}\nnot json\n")
        #expect(outcome.status == 2)
        #expect(
            outcome.standardError.contains(
                "line 1: $: neither a CloudEvent (no specversion) nor a CDEvent (no context)"))
        #expect(outcome.standardError.contains("line 2:"))
    }
}
