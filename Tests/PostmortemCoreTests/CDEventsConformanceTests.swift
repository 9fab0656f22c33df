import Foundation
import PostmortemCore
import Testing

/// Decodes every official CDEvents conformance example (cdevents/spec v0.4.1, v0.5.0 and v0.5.1,
/// vendored in Fixtures/cdevents/<tag>/conformance) with the service's `EventDecoder`.
///
/// Every example should be accepted: used when the product needs its type, otherwise ignored and
/// counted, never dead-lettered. Today the decoder rejects many; ``knownRejections`` pins which,
/// with the exact error, so this test fails when that behaviour changes either way.
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

    // Known gaps, issue: CDEvents as they are. The examples the decoder rejects today and the
    // error it gives; fixing the decoder makes this test fail: shrink the list with the fix.
    // Accepted today: the seven types the product maps (service.deployed|upgraded|rolledback,
    // incident.detected|reported, testsuiterun.finished, pipelinerun.finished) of v0.5.0 and v0.5.1.
    // Rejected: every v0.4.1 example (its context names the version `version`), every other type.
    static let knownRejections: [String: String] = [
        "v0.4.1/conformance_artifact_deleted.json": versionField,
        "v0.4.1/conformance_artifact_downloaded.json": versionField,
        "v0.4.1/conformance_artifact_packaged.json": versionField,
        "v0.4.1/conformance_artifact_published.json": versionField,
        "v0.4.1/conformance_artifact_signed.json": versionField,
        "v0.4.1/conformance_branch_created.json": versionField,
        "v0.4.1/conformance_branch_deleted.json": versionField,
        "v0.4.1/conformance_build_finished.json": versionField,
        "v0.4.1/conformance_build_queued.json": versionField,
        "v0.4.1/conformance_build_started.json": versionField,
        "v0.4.1/conformance_change_abandoned.json": versionField,
        "v0.4.1/conformance_change_created.json": versionField,
        "v0.4.1/conformance_change_merged.json": versionField,
        "v0.4.1/conformance_change_reviewed.json": versionField,
        "v0.4.1/conformance_change_updated.json": versionField,
        "v0.4.1/conformance_environment_created.json": versionField,
        "v0.4.1/conformance_environment_deleted.json": versionField,
        "v0.4.1/conformance_environment_modified.json": versionField,
        "v0.4.1/conformance_incident_detected.json": versionField,
        "v0.4.1/conformance_incident_reported.json": versionField,
        "v0.4.1/conformance_incident_resolved.json": versionField,
        "v0.4.1/conformance_pipelinerun_finished.json": versionField,
        "v0.4.1/conformance_pipelinerun_queued.json": versionField,
        "v0.4.1/conformance_pipelinerun_started.json": versionField,
        "v0.4.1/conformance_repository_created.json": versionField,
        "v0.4.1/conformance_repository_deleted.json": versionField,
        "v0.4.1/conformance_repository_modified.json": versionField,
        "v0.4.1/conformance_service_deployed.json": versionField,
        "v0.4.1/conformance_service_published.json": versionField,
        "v0.4.1/conformance_service_removed.json": versionField,
        "v0.4.1/conformance_service_rolledback.json": versionField,
        "v0.4.1/conformance_service_upgraded.json": versionField,
        "v0.4.1/conformance_taskrun_finished.json": versionField,
        "v0.4.1/conformance_taskrun_started.json": versionField,
        "v0.4.1/conformance_testcaserun_finished.json": versionField,
        "v0.4.1/conformance_testcaserun_queued.json": versionField,
        "v0.4.1/conformance_testcaserun_skipped.json": versionField,
        "v0.4.1/conformance_testcaserun_started.json": versionField,
        "v0.4.1/conformance_testoutput_published.json": versionField,
        "v0.4.1/conformance_testsuiterun_finished.json": versionField,
        "v0.4.1/conformance_testsuiterun_queued.json": versionField,
        "v0.4.1/conformance_testsuiterun_started.json": versionField,
        "v0.4.1/conformance_ticket_closed.json": versionField,
        "v0.4.1/conformance_ticket_created.json": versionField,
        "v0.4.1/conformance_ticket_updated.json": versionField,
        "v0.4.1/custom_conformance.json": versionField,
        "v0.5.0/conformance_artifact_deleted.json": unsupported("artifact.deleted.0.2.0"),
        "v0.5.0/conformance_artifact_downloaded.json": unsupported("artifact.downloaded.0.2.0"),
        "v0.5.0/conformance_artifact_packaged.json": unsupported("artifact.packaged.0.3.0"),
        "v0.5.0/conformance_artifact_published.json": unsupported("artifact.published.0.3.0"),
        "v0.5.0/conformance_artifact_signed.json": unsupported("artifact.signed.0.3.0"),
        "v0.5.0/conformance_branch_created.json": unsupported("branch.created.0.3.0"),
        "v0.5.0/conformance_branch_deleted.json": unsupported("branch.deleted.0.3.0"),
        "v0.5.0/conformance_build_finished.json": unsupported("build.finished.0.3.0"),
        "v0.5.0/conformance_build_queued.json": unsupported("build.queued.0.3.0"),
        "v0.5.0/conformance_build_started.json": unsupported("build.started.0.3.0"),
        "v0.5.0/conformance_change_abandoned.json": unsupported("change.abandoned.0.3.0"),
        "v0.5.0/conformance_change_created.json": unsupported("change.created.0.4.0"),
        "v0.5.0/conformance_change_merged.json": unsupported("change.merged.0.3.0"),
        "v0.5.0/conformance_change_reviewed.json": unsupported("change.reviewed.0.3.0"),
        "v0.5.0/conformance_change_updated.json": unsupported("change.updated.0.3.0"),
        "v0.5.0/conformance_environment_created.json": unsupported("environment.created.0.3.0"),
        "v0.5.0/conformance_environment_deleted.json": unsupported("environment.deleted.0.3.0"),
        "v0.5.0/conformance_environment_modified.json": unsupported("environment.modified.0.3.0"),
        "v0.5.0/conformance_incident_resolved.json": unsupported("incident.resolved.0.3.0"),
        "v0.5.0/conformance_pipelinerun_queued.json": unsupported("pipelinerun.queued.0.3.0"),
        "v0.5.0/conformance_pipelinerun_started.json": unsupported("pipelinerun.started.0.3.0"),
        "v0.5.0/conformance_repository_created.json": unsupported("repository.created.0.3.0"),
        "v0.5.0/conformance_repository_deleted.json": unsupported("repository.deleted.0.3.0"),
        "v0.5.0/conformance_repository_modified.json": unsupported("repository.modified.0.3.0"),
        "v0.5.0/conformance_service_published.json": unsupported("service.published.0.3.0"),
        "v0.5.0/conformance_service_removed.json": unsupported("service.removed.0.3.0"),
        "v0.5.0/conformance_taskrun_finished.json": unsupported("taskrun.finished.0.3.0"),
        "v0.5.0/conformance_taskrun_started.json": unsupported("taskrun.started.0.3.0"),
        "v0.5.0/conformance_testcaserun_finished.json": unsupported("testcaserun.finished.0.3.0"),
        "v0.5.0/conformance_testcaserun_queued.json": unsupported("testcaserun.queued.0.3.0"),
        "v0.5.0/conformance_testcaserun_skipped.json": unsupported("testcaserun.skipped.0.2.0"),
        "v0.5.0/conformance_testcaserun_started.json": unsupported("testcaserun.started.0.3.0"),
        "v0.5.0/conformance_testoutput_published.json": unsupported("testoutput.published.0.3.0"),
        "v0.5.0/conformance_testsuiterun_queued.json": unsupported("testsuiterun.queued.0.3.0"),
        "v0.5.0/conformance_testsuiterun_started.json": unsupported("testsuiterun.started.0.3.0"),
        "v0.5.0/conformance_ticket_closed.json": unsupported("ticket.closed.0.2.0"),
        "v0.5.0/conformance_ticket_created.json": unsupported("ticket.created.0.2.0"),
        "v0.5.0/conformance_ticket_updated.json": unsupported("ticket.updated.0.2.0"),
        "v0.5.0/custom_conformance.json": notCDEvents("dev.cdeventsx.mytool-resource.created.0.1.0"),
        "v0.5.1/conformance_artifact_deleted.json": unsupported("artifact.deleted.0.2.0"),
        "v0.5.1/conformance_artifact_downloaded.json": unsupported("artifact.downloaded.0.2.0"),
        "v0.5.1/conformance_artifact_packaged.json": unsupported("artifact.packaged.0.3.0"),
        "v0.5.1/conformance_artifact_published.json": unsupported("artifact.published.0.3.0"),
        "v0.5.1/conformance_artifact_signed.json": unsupported("artifact.signed.0.3.0"),
        "v0.5.1/conformance_branch_created.json": unsupported("branch.created.0.3.0"),
        "v0.5.1/conformance_branch_deleted.json": unsupported("branch.deleted.0.3.0"),
        "v0.5.1/conformance_build_finished.json": unsupported("build.finished.0.3.0"),
        "v0.5.1/conformance_build_queued.json": unsupported("build.queued.0.3.0"),
        "v0.5.1/conformance_build_started.json": unsupported("build.started.0.3.0"),
        "v0.5.1/conformance_change_abandoned.json": unsupported("change.abandoned.0.3.0"),
        "v0.5.1/conformance_change_created.json": unsupported("change.created.0.4.0"),
        "v0.5.1/conformance_change_merged.json": unsupported("change.merged.0.3.0"),
        "v0.5.1/conformance_change_reviewed.json": unsupported("change.reviewed.0.3.0"),
        "v0.5.1/conformance_change_updated.json": unsupported("change.updated.0.3.0"),
        "v0.5.1/conformance_environment_created.json": unsupported("environment.created.0.3.0"),
        "v0.5.1/conformance_environment_deleted.json": unsupported("environment.deleted.0.3.0"),
        "v0.5.1/conformance_environment_modified.json": unsupported("environment.modified.0.3.0"),
        "v0.5.1/conformance_incident_resolved.json": unsupported("incident.resolved.0.3.0"),
        "v0.5.1/conformance_pipelinerun_queued.json": unsupported("pipelinerun.queued.0.3.0"),
        "v0.5.1/conformance_pipelinerun_started.json": unsupported("pipelinerun.started.0.3.0"),
        "v0.5.1/conformance_repository_created.json": unsupported("repository.created.0.3.0"),
        "v0.5.1/conformance_repository_deleted.json": unsupported("repository.deleted.0.3.0"),
        "v0.5.1/conformance_repository_modified.json": unsupported("repository.modified.0.3.0"),
        "v0.5.1/conformance_service_published.json": unsupported("service.published.0.3.0"),
        "v0.5.1/conformance_service_removed.json": unsupported("service.removed.0.3.0"),
        "v0.5.1/conformance_taskrun_finished.json": unsupported("taskrun.finished.0.3.0"),
        "v0.5.1/conformance_taskrun_started.json": unsupported("taskrun.started.0.3.0"),
        "v0.5.1/conformance_testcaserun_finished.json": unsupported("testcaserun.finished.0.3.0"),
        "v0.5.1/conformance_testcaserun_queued.json": unsupported("testcaserun.queued.0.3.0"),
        "v0.5.1/conformance_testcaserun_skipped.json": unsupported("testcaserun.skipped.0.2.0"),
        "v0.5.1/conformance_testcaserun_started.json": unsupported("testcaserun.started.0.3.0"),
        "v0.5.1/conformance_testoutput_published.json": unsupported("testoutput.published.0.3.0"),
        "v0.5.1/conformance_testsuiterun_queued.json": unsupported("testsuiterun.queued.0.3.0"),
        "v0.5.1/conformance_testsuiterun_started.json": unsupported("testsuiterun.started.0.3.0"),
        "v0.5.1/conformance_ticket_closed.json": unsupported("ticket.closed.0.2.0"),
        "v0.5.1/conformance_ticket_created.json": unsupported("ticket.created.0.2.0"),
        "v0.5.1/conformance_ticket_updated.json": unsupported("ticket.updated.0.2.0"),
        "v0.5.1/custom_conformance.json": notCDEvents("dev.cdeventsx.mytool-resource.created.0.1.0"),
    ]

    /// The error for a CDEvents context without `specversion` but with `version`.
    static let versionField = "context.version: unknown field"

    /// The error for a CDEvents type the decoder does not map (`type` given without its `dev.cdevents.` prefix).
    static func unsupported(_ type: String) -> String { "context.type: unsupported CDEvents type \"dev.cdevents.\(type)\"" }

    /// The error for a type outside the `dev.cdevents.` namespace.
    static func notCDEvents(_ type: String) -> String { "context.type: not a CDEvents type: \"\(type)\"" }

    @Test func everyTagIsVendored() {
        for tag in Self.tags {
            #expect(Self.examples.filter { $0.hasPrefix(tag + "/") }.count == 46, "\(tag): expected 46 conformance examples")
        }
        #expect(Set(Self.knownRejections.keys).isSubset(of: Self.examples), "a known gap names no vendored example")
    }

    @Test(arguments: examples)
    func acceptedOrKnownGap(_ example: String) throws {
        let bytes = Array(try Data(contentsOf: Self.url(of: example)))
        let known = Self.knownRejections[example]
        do {
            let decoded = try EventDecoder().decode(json: bytes, now: Fixture.now)
            #expect(known == nil, "\(example) is accepted now (as \(decoded.event.kind)): remove it from the known gaps")
        } catch {
            #expect(error.description == known, "\(example) rejected: \(error)")
        }
    }
}
