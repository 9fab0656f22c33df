import Foundation
import Testing

@testable import PostmortemCore

/// What one deploy's postmortem must say (nil triggers: the deploy must have no postmortem).
struct ExpectedPostmortem: Sendable {
    /// The deploy.
    let deployId: String
    /// Trigger texts in order; nil = no postmortem.
    let triggers: [String]?
    /// Severity, when the case pins it.
    var severity: String?
    /// Finding keys that must be present, each with the evidence members that must match exactly.
    var findings: [String: [String: JSONValue]] = [:]
    /// Action-item titles that must be present.
    var actions: [String] = []
    /// The postmortem's owner, when the case pins it.
    var owner: String?
    /// Text the Markdown must contain.
    var markdown: [String] = []
    /// Text the Markdown must not contain.
    var markdownLacks: [String] = []
}

/// One minimal reproduction (Fixtures/repro, copied from the issue "Analysis you can trust") and
/// what a correct analysis of it says.
struct ReproCase: Sendable, CustomStringConvertible {
    /// File name in Fixtures/repro.
    let file: String
    /// Every deploy the case pins.
    let deploys: [ExpectedPostmortem]
    /// How many events must stay unattributed.
    var unattributed = 0

    var description: String { file }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures/repro")

    /// The file's JSON lines.
    func lines() throws -> [String] {
        try String(contentsOf: Self.folder.appendingPathComponent(file), encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
    }

    /// Analyzes the file and checks every expectation.
    func check(config: AnalysisConfig = AnalysisConfig()) throws {
        let report = BatchAnalysis(config: config).run(try Fixture.decode(lines()))
        #expect(report.unattributed.count == unattributed, "unattributed: \(report.unattributed)")
        for expected in deploys {
            let postmortem = report.postmortems.first { $0.deployId == expected.deployId }
            guard let triggers = expected.triggers else {
                #expect(postmortem == nil, "\(expected.deployId) must have no postmortem")
                continue
            }
            let p = try #require(postmortem, "\(expected.deployId) must have a postmortem")
            #expect(p.triggers.map(\.trigger.description) == triggers)
            if let severity = expected.severity { #expect(p.severity.rawValue == severity) }
            for (key, evidence) in expected.findings {
                let finding = try #require(
                    p.findings.first { $0.key == key }, "missing finding \(key) in \(p.findings.map(\.key))")
                for (name, value) in evidence { #expect(finding.evidence[name] == value, "\(key) evidence \(name)") }
            }
            for title in expected.actions {
                #expect(p.actionItems.map(\.title).contains(title), "missing action \(title)")
            }
            #expect(p.actionItems.count == p.findings.count)
            if let owner = expected.owner {
                #expect(p.owner == owner)
                #expect(p.actionItems.allSatisfy { $0.owner == owner })
            }
            let markdown = MarkdownRenderer().render(p)
            for text in expected.markdown { #expect(markdown.contains(text), "Markdown lacks \(text)") }
            for text in expected.markdownLacks { #expect(!markdown.contains(text), "Markdown has \(text)") }
        }
    }
}

@Suite("Reproductions of the issue \"Analysis you can trust\"")
struct ReproTests {
    @Test(
        "r02, r03, r23, r25: attribution stays in its service and environment, goes to the deploy a rollback replaced and to the latest deploy before the event, one name one spelling",
        arguments: [
            ReproCase(
                file: "r02_artifact_attribution_ignores_environment.jsonl",
                deploys: [
                    ExpectedPostmortem(deployId: "dep-r02-eu", triggers: ["customer_impact:high"]),
                    ExpectedPostmortem(deployId: "dep-r02-us", triggers: nil),
                ]),
            ReproCase(
                file: "r03_cdevents_rollback_goes_to_previous_deploy.jsonl",
                deploys: [
                    ExpectedPostmortem(deployId: "cd-r03-v2", triggers: ["rolled_back_automatically"]),
                    ExpectedPostmortem(deployId: "cd-r03-v1", triggers: nil),
                ]),
            // One spelling of a name (NFC): the NFD rollback reaches the NFC deploy.
            ReproCase(
                file: "r23_nfc_nfd_service_names.jsonl",
                deploys: [ExpectedPostmortem(deployId: "dep-r4", triggers: ["rolled_back_manually"])]),
            // A rollback goes to the hotfix started before it, not to the release.
            ReproCase(
                file: "r25_reattribution_arrival_order.jsonl",
                deploys: [
                    ExpectedPostmortem(deployId: "dep-r25-b", triggers: ["rolled_back_manually"]),
                    ExpectedPostmortem(deployId: "dep-r25-a", triggers: nil),
                ]),
        ])
    func attribution(_ repro: ReproCase) throws {
        try repro.check()
    }

    @Test(
        "r12, r13: a gate that stopped a bad change is a success, not a postmortem",
        arguments: [
            ReproCase(
                file: "r12_ci_failure_opens_postmortem.jsonl",
                deploys: [ExpectedPostmortem(deployId: "dep-r12", triggers: nil)]),
            ReproCase(
                file: "r13_cancelled_pipeline_is_failed_deploy.jsonl",
                deploys: [ExpectedPostmortem(deployId: "cd-r13-dep", triggers: nil)]),
        ])
    func stoppedByGate(_ repro: ReproCase) throws {
        try repro.check()
    }

    @Test(
        "r01: no empty postmortem: missing gates, impact section, owner",
        arguments: [
            ReproCase(
                file: "r01_impact_no_action_items_no_owner.jsonl",
                deploys: [
                    ExpectedPostmortem(
                        deployId: "dep-r01", triggers: ["customer_impact:high", "rolled_back_automatically"],
                        severity: "sev2",
                        findings: Dictionary(
                            uniqueKeysWithValues: ["ci", "canary", "soak"].map {
                                ("\($0).gate_not_recorded", ["gate": str($0), "recorded": .bool(false)])
                            }),
                        actions: [
                            "Run the ci gate on every deploy of svc and report its result",
                            "Run the canary gate on every deploy of svc and report its result",
                            "Run the soak gate on every deploy of svc and report its result",
                        ],
                        owner: "payments",
                        markdown: [
                            "- **Owner:** payments", "## Customer impact", "- **How long:** 3 min",
                            "- **Time to detect:** 3 min",
                            "- **Time to mitigate:** 0 s", "- **Incident:** <https://status.example.com/i/1>",
                            "The ci gate did not run", "The canary gate did not run", "The soak gate did not run",
                        ])
                ])
        ])
    func noEmptyPostmortem(_ repro: ReproCase) throws {
        try repro.check()
    }

    @Test("the owner comes from the ownership map when the deploy names no team or owner, even without action items")
    func ownerFromMap() throws {
        var config = AnalysisConfig()
        config.ownership = ["checkout": "team-checkout"]
        let report = BatchAnalysis(config: config).run(
            try Fixture.decode([
                Fixture.started("d-own", extra: ["team": NSNull(), "owner": NSNull()]),
                Fixture.gate("d-own", "canary", from: 0, to: 5), Fixture.gate("d-own", "soak", from: 5, to: 10),
                Fixture.rollback("d-own", at: 12),
            ]))
        let p = try #require(report.postmortems.first)
        #expect(p.actionItems.isEmpty)
        #expect(p.owner == "team-checkout")
        #expect(MarkdownRenderer().render(p).contains("- **Owner:** team-checkout"))
    }

    @Test(
        "severity follows impact and duration: customer impact is never sev4; 48 minutes of 5x errors is not the lowest severity"
    )
    func severityFollowsImpactAndDuration() throws {
        let longErrors = [
            Fixture.started("d-sev"), Fixture.gate("d-sev", "canary", from: 0, to: 5, extra: ["checks": []]),
            Fixture.rollback("d-sev", at: 50), Fixture.regression("checkout_errors", onset: 2, value: 500),
        ]
        let p = try #require(BatchAnalysis().run(try Fixture.decode(longErrors)).postmortems.first)
        #expect(p.triggers.map(\.trigger.description) == ["rolled_back_automatically"])
        #expect(p.severity == .sev3)
        var lenient = AnalysisConfig()
        lenient.severityPolicy.longDegradationSeconds = 3600
        #expect(BatchAnalysis(config: lenient).run(try Fixture.decode(longErrors)).postmortems.first?.severity == .sev4)
        let lowImpact = [Fixture.started("d-low"), Fixture.impact("d-low", severity: "low", at: 3)]
        #expect(BatchAnalysis().run(try Fixture.decode(lowImpact)).postmortems.first?.severity == .sev3)
        var mapsToSev4 = AnalysisConfig()
        mapsToSev4.severityPolicy.customerImpact[.low] = .sev4
        #expect(
            BatchAnalysis(config: mapsToSev4).run(try Fixture.decode(lowImpact)).postmortems.first?.severity == .sev3)
    }

    @Test(
        "r04: soak checks are evaluated like canary checks; r19: a passed CI gate without details is analysed, saying what is unknown",
        arguments: [
            ReproCase(
                file: "r04_soak_threshold_never_checked.jsonl",
                deploys: [
                    ExpectedPostmortem(
                        deployId: "dep-r04", triggers: ["rolled_back_automatically"],
                        findings: [
                            "soak.soak_threshold_too_loose:err": [
                                "threshold": num(5), "observed": num(4), "baseline": num(0.5),
                                "suggestedThreshold": num(0.6),
                            ]
                        ],
                        actions: ["Tighten the soak threshold on err from 5 to 0.6"])
                ]),
            ReproCase(
                file: "r19_ci_passed_without_details_no_finding.jsonl",
                deploys: [
                    ExpectedPostmortem(
                        deployId: "dep-r19", triggers: ["rolled_back_automatically"],
                        findings: ["ci.ci_coverage_gap": ["detailsReported": .bool(false)]],
                        actions: ["Add a regression test that reproduces the err regression in CI"],
                        markdown: ["test counts, retried tests, coverage and test data are unknown"])
                ]),
        ])
    func gateChecks(_ repro: ReproCase) throws {
        try repro.check()
    }

    @Test(
        "r09: CDEvents 0.4.x (context.version) decodes; r10: a CDEvents type the product does not use is accepted and ignored"
    )
    func cdeventsVersionsAndUnusedTypes() throws {
        let r09 = try ReproCase(file: "r09_cdevents_041_context_version_rejected.jsonl", deploys: []).lines()
        let deployed = try EventDecoder().decode(json: Array(r09[0].utf8), now: Fixture.now)
        guard case .deployStarted(let started) = deployed.event else {
            Issue.record("not a deploy start")
            return
        }
        #expect(started.deployId == "cd-r09" && started.service == "svc" && started.environment == "prod")
        let r10 = try ReproCase(file: "r10_unused_cdevents_type_rejected.jsonl", deploys: []).lines()
        #expect {
            try EventDecoder().decode(json: Array(r10[0].utf8), now: Fixture.now)
        } throws: { error in
            (error as? DecodingError)?.isIgnored == true
        }
    }

    @Test(
        "r07: string limits count bytes; r18: error messages are bounded",
        arguments: [
            (
                "combining marks",
                #"{"specversion":"1.0","id":"r-15","source":"/repro","type":"io.deploypostmortem.deploy.started.v1","data":{"deployId":"d\#(String(repeating: "\u{301}", count: 100_000))","service":"svc","environment":"prod","startedAt":"2026-11-10T12:00:00Z"}}"#,
                "data.deployId: string of 200001 bytes exceeds the limit of 4096 bytes"
            ),
            (
                "echoed value",
                #"{"specversion":"1\#(String(repeating: "\u{301}", count: 50_000))","id":"r-1","source":"/r","type":"t","data":{}}"#,
                "specversion: string of 100001 bytes exceeds the limit of 4096 bytes"
            ),
            (
                "echoed member name",
                #"{"context":{"specversion":"0.5.1","id":"1","source":"/s","type":"dev.cdevents.service.deployed.0.3.0","timestamp":"2026-11-10T12:00:00Z","\#(String(repeating: "x", count: 100_000))":1},"subject":{"id":"s","content":{}}}"#,
                nil
            ),
        ] as [(String, String, String?)])
    func boundedInput(_ name: String, _ line: String, _ expected: String?) {
        #expect {
            try EventDecoder().decode(json: Array(line.utf8), now: Fixture.now)
        } throws: { error in
            let text = String(describing: error)
            return text.utf8.count <= DecodingError.maxPathBytes + DecodingError.maxReasonBytes + 2
                && (expected.map { text == $0 } ?? true)
        }
    }

    @Test("r08: output numbers are always finite, or the input is clearly rejected")
    func finiteNumbers() throws {
        let repro = ReproCase(
            file: "r08_huge_metric_values_null_in_output.jsonl",
            deploys: [
                ExpectedPostmortem(deployId: "dep-r08", triggers: ["rolled_back_automatically"])
            ])
        try repro.check()
        let p = try #require(BatchAnalysis().run(try Fixture.decode(repro.lines())).postmortems.first)
        let metric = try #require(p.contributingMetrics.first)
        #expect(metric.peak == 1e307 && metric.baseline == 1e305)
        let json = JSONValue.array([p.json] + p.actionItems.map(\.json)).serialized
        #expect(!json.contains("null"), "a non-finite number is serialized as null")
        #expect(MarkdownRenderer().render(p).contains("| bytes_total | 1e+305 |"))
        let tooLarge = try repro.lines()[0].replacingOccurrences(of: "1e+305", with: "1e308").replacingOccurrences(
            of: "1e305", with: "1e308")
        #expect(
            throws: DecodingError(path: "data.points[0].value", reason: "magnitude 1e+308 exceeds the limit of 1e+307")
        ) {
            try EventDecoder().decode(json: Array(tooLarge.utf8), now: Fixture.now)
        }
    }

    @Test("r05: a series is metric + labels; conflicting points at one timestamp: the worst in the bad direction wins")
    func labelledSeries() throws {
        let repro = ReproCase(
            file: "r05_labels_merged_min_wins_hides_regression.jsonl",
            deploys: [
                ExpectedPostmortem(
                    deployId: "dep-r05", triggers: ["rolled_back_automatically"],
                    markdown: [
                        #"| http_error_rate_percent{region="us"} | 0.3 | 0.36 | 8 | 2026-11-10T12:02:00Z | 100% | no |"#
                    ])
            ])
        try repro.check()
        let lines = try repro.lines()
        let p = try #require(BatchAnalysis().run(try Fixture.decode(lines)).postmortems.first)
        #expect(p.contributingMetrics.map(\.metric) == [#"http_error_rate_percent{region="us"}"#])
        #expect(p.contributingMetrics.first?.labels == ["region": "us"])
        // The same two regions' points as one unlabelled series: the worst value per timestamp wins
        // whatever the order, so the us regression still shows.
        let unlabelled = lines.map {
            $0.replacingOccurrences(of: #","labels":{"region":"eu"}"#, with: "").replacingOccurrences(
                of: #","labels":{"region":"us"}"#, with: "")
        }
        for order in [unlabelled, unlabelled.reversed()] {
            let merged = try #require(BatchAnalysis().run(try Fixture.decode(order)).postmortems.first)
            #expect(merged.contributingMetrics.map(\.metric) == ["http_error_rate_percent"])
            #expect(merged.contributingMetrics.first?.peak == 8)
        }
    }

    @Test(
        "r11: ratios keep full precision; a metric's bad direction comes from its SLO, the configuration, or is inferred and said"
    )
    func ratioDirectionAndPrecision() throws {
        let repro = ReproCase(
            file: "r11_ratio_direction_and_precision.jsonl",
            deploys: [
                ExpectedPostmortem(
                    deployId: "dep-r11", triggers: ["rolled_back_automatically"], severity: "sev2",
                    findings: [
                        "canary.canary_metric_not_checked:authorised_ratio": [
                            "baseline": num(0.985), "peak": num(0.93),
                        ],
                        "canary.canary_metric_not_checked:success_ratio": ["baseline": num(0.997), "peak": num(0.95)],
                    ],
                    actions: ["Add a canary check on success_ratio that fails below 0.9964"],
                    markdown: ["## Data quality and assumptions", "| success_ratio | 0.997 | 0.9964 | 0.95 |"])
            ])
        try repro.check()
        let p = try #require(BatchAnalysis().run(try Fixture.decode(repro.lines())).postmortems.first)
        let sources = Dictionary(
            uniqueKeysWithValues: p.contributingMetrics.map { ($0.metric, ($0.direction, $0.directionSource)) })
        #expect(sources["success_ratio"]! == (.below, .slo))
        #expect(sources["authorised_ratio"]! == (.below, .inferred))
        // The canary did not check the metrics: its replay states the gate model it assumed.
        #expect(
            p.assumptions.count == 2 && p.assumptions[0].hasPrefix("authorised_ratio: no SLO or configured direction"))
        #expect(p.assumptions.last?.hasPrefix("The gate replay assumed") == true)
        var config = AnalysisConfig()
        config.metricDirections["authorised_ratio"] = .below
        let declared = try #require(
            BatchAnalysis(config: config).run(try Fixture.decode(repro.lines())).postmortems.first)
        #expect(declared.assumptions.count == 1 && declared.assumptions[0].hasPrefix("The gate replay assumed"))
        #expect(declared.contributingMetrics.first { $0.metric == "authorised_ratio" }?.directionSource == .configured)
    }

    @Test(
        "r14: a rollback without deployId that no deploy fits is surfaced with the reason, never dropped silently",
        arguments: [
            ReproCase(
                file: "r14_late_rollback_outside_window.jsonl",
                deploys: [ExpectedPostmortem(deployId: "dep-r14", triggers: nil)], unattributed: 1)
        ])
    func unattributedFailure(_ repro: ReproCase) throws {
        try repro.check()
        let report = BatchAnalysis().run(try Fixture.decode(repro.lines()))
        #expect(
            report.unattributed == [
                UnattributedEvent(
                    key: EventKey(source: "/repro", id: "r-30"),
                    reason:
                        "latest deploy of svc/prod (dep-r14) started 7800s before the event, outside the 7200s window",
                    kind: "deploy.rolled_back")
            ])
        #expect(try Fixture.decode(repro.lines())[1].event.reportsFailure)
    }

    @Test(
        "r15a/b: conflicting duplicates (same source + id, other content) are resolved whatever the order, and reported"
    )
    func conflictingDuplicates() throws {
        let a = try BatchAnalysis().run(
            Fixture.decode(ReproCase(file: "r15a_conflicting_duplicate_order_dependent.jsonl", deploys: []).lines()))
        let b = try BatchAnalysis().run(
            Fixture.decode(ReproCase(file: "r15b_conflicting_duplicate_order_dependent.jsonl", deploys: []).lines()))
        #expect(a == b)
        let conflict = try #require(a.conflicts.first)
        #expect(
            a.conflicts.count == 1 && conflict.key == EventKey(source: "/repro", id: "rb-r15")
                && conflict.others.count == 1 && conflict.resolution == .smallestDigestKept)
        #expect(conflict.kept < conflict.others[0], "the smallest content digest is kept")
        #expect(a.postmortems.count == 1)
    }

    @Test(
        "conflicting copies of one metric event keep every point: a resent export cannot hide a regression, whatever the order"
    )
    func conflictingMetricCopies() throws {
        let flat = Fixture.metric("latency_p99_ms", Fixture.baseline(100) + (0...10).map { ($0, 100) })
        let spiking = Fixture.metric(
            "latency_p99_ms", Fixture.baseline(100) + (0...10).map { ($0, $0 >= 2 ? 200 : 100) })
        let deploy = [Fixture.started("d-copies"), Fixture.rollback("d-copies", at: 8)]
        for lines in [deploy + [flat, spiking], [spiking] + deploy + [flat]] {
            let report = BatchAnalysis().run(try Fixture.decode(lines))
            let conflict = try #require(report.conflicts.first)
            #expect(
                report.conflicts.count == 1
                    && conflict.key == EventKey(source: "/exporter", id: "checkout-latency_p99_ms"))
            #expect(conflict.resolution == .pointsMerged && conflict.others.count == 1)
            let postmortem = try #require(report.postmortems.first)
            #expect(postmortem.contributingMetrics.map(\.metric) == ["latency_p99_ms"])
            #expect(postmortem.contributingMetrics.first?.peak == 200)
        }
    }

    @Test("r16, r17: many events of one deploy, many deploys of one service: folded once, attributed by index")
    func manyEventsAndDeploys() throws {
        let rollbacks = (0..<2000).map {
            Fixture.rollback("d-many", mode: $0 % 2 == 0 ? "manual" : "automatic", at: 10 + Double($0) / 100)
        }
        // Fixture.rollback ids carry whole minutes: give each its own id.
        let unique = rollbacks.enumerated().map {
            $0.element.replacingOccurrences(of: "d-many-rollback-", with: "d-many-rollback-\($0.offset)-")
        }
        let one = BatchAnalysis().run(try Fixture.decode([Fixture.started("d-many")] + unique))
        #expect(
            one.postmortems.first?.triggers.map(\.trigger.description) == [
                "rolled_back_automatically", "rolled_back_manually",
            ])
        let deploys = (0..<2000).flatMap { i in
            [
                Fixture.started("d-\(i)", at: Double(i) * 0.2),
                Fixture.rollback(nil, at: Double(i) * 0.2 + 0.1).replacingOccurrences(
                    of: "checkout-rollback", with: "rb-\(i)"),
            ]
        }
        let many = BatchAnalysis().run(try Fixture.decode(deploys))
        #expect(many.unattributed.isEmpty)
        #expect(many.postmortems.count == 2000)
        #expect(many.postmortems.allSatisfy { $0.rolledBackAt == $0.triggers.first?.at })
        #expect(
            many.postmortems.first { $0.deployId == "d-1999" }?.rolledBackAt
                == Fixture.start.addingTimeInterval(1999 * 12 + 6))
    }
}
