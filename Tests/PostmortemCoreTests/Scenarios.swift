import Foundation

@testable import PostmortemCore

// Every deploy starts at 10:00:00Z; metric baselines are 100 (MAD 1) so the breach limit is 120.
extension Scenario {
    static let healthy = Scenario(
        name: "healthy deploy opens no postmortem",
        lines: [
            Fixture.started("d-1"), Fixture.ci("d-1"),
            Fixture.gate(
                "d-1", "canary", from: 0, to: 10,
                extra: [
                    "trafficPercent": 10, "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 101)],
                ]),
            Fixture.gate("d-1", "soak", from: 10, to: 40, extra: ["trafficPercent": 100]),
            Fixture.finished("d-1", "succeeded", at: 45), Fixture.regression(onset: 1000),
        ],
        deployId: "d-1", triggers: nil)

    static let looseThreshold = Scenario(
        name: "automatic rollback, canary threshold too loose, CI coverage gap",
        lines: [
            Fixture.started("d-2"), Fixture.ci("d-2"),
            Fixture.gate(
                "d-2", "canary", from: 0, to: 5,
                extra: [
                    "trafficPercent": 10, "checks": [Fixture.check("latency_p99_ms", threshold: 300, observed: 200)],
                ]),
            Fixture.rollback("d-2", at: 8), Fixture.regression(onset: 2),
        ],
        deployId: "d-2", triggers: ["rolled_back_automatically"],
        findings: [
            (
                "canary.canary_threshold_too_loose:latency_p99_ms",
                [
                    "threshold": num(300), "observed": num(200), "baseline": num(100), "peak": num(200),
                    "suggestedThreshold": num(120),
                ]
            ),
            ("ci.ci_coverage_gap", ["testsTotal": num(420), "testsFailed": num(0), "coveragePercent": num(81.5)]),
        ],
        actions: [
            "Tighten the canary threshold on latency_p99_ms from 300 to 120",
            "Add a regression test that reproduces the latency_p99_ms regression in CI",
        ])

    static let all: [Scenario] =
        [
            healthy,
            looseThreshold,
            Scenario(
                name: "manual rollback, slow detection, canary did not check the metric",
                lines: [
                    Fixture.started("d-3"),
                    Fixture.gate("d-3", "canary", from: 0, to: 10, extra: ["trafficPercent": 10, "checks": []]),
                    Fixture.rollback("d-3", mode: "manual", at: 30, extra: ["initiatedBy": "alice"]),
                    Fixture.regression(onset: 5),
                ],
                deployId: "d-3", triggers: ["rolled_back_manually"], severity: "sev3",
                findings: [
                    (
                        "canary.canary_metric_not_checked:latency_p99_ms",
                        ["baseline": num(100), "peak": num(200), "suggestedThreshold": num(120)]
                    ),
                    (
                        "rollback.manual_rollback",
                        ["initiatedBy": str("alice"), "rolledBackAt": str("2026-11-26T10:30:00Z")]
                    ),
                    ("rollback.slow_detection", ["detectionSeconds": num(1500), "targetSeconds": num(600)]),
                ],
                actions: [
                    "Add a canary check on latency_p99_ms that fails above 120",
                    "Add an automated rollback on latency_p99_ms",
                    "Alert and roll back on latency_p99_ms within 10 min (took 25 min)",
                ]),
            Scenario(
                name: "deploy failed after CI retried flaky tests green",
                lines: [
                    Fixture.started("d-4"),
                    Fixture.ci(
                        "d-4",
                        extra: [
                            "retriedTests": [
                                ["name": "CheckoutTests.testRefund", "attempts": 3, "finalOutcome": "passed"],
                                ["name": "CartTests.testMerge", "attempts": 2, "finalOutcome": "passed"],
                                ["name": "CartTests.testEmpty", "attempts": 1, "finalOutcome": "passed"],
                            ]
                        ]),
                    Fixture.finished("d-4", "failed", at: 12, reason: "pods crashlooping"),
                ],
                deployId: "d-4", triggers: ["deploy_failed"],
                findings: [
                    ("ci.ci_coverage_gap", ["testsTotal": num(420)]),
                    (
                        "ci.ci_flaky_tests",
                        [
                            "tests": .array([str("CartTests.testMerge"), str("CheckoutTests.testRefund")]),
                            "attempts": .array([num(2), num(3)]),
                        ]
                    ),
                ],
                actions: [
                    "Add a regression test that reproduces this failure in CI",
                    "Fix or quarantine the flaky tests CartTests.testMerge, CheckoutTests.testRefund and stop retrying them to green",
                ]),
            Scenario(
                name: "critical customer impact although the automatic rollback was in time",
                lines: [
                    Fixture.started("d-5"), Fixture.rollback("d-5", at: 6),
                    Fixture.impact("d-5", severity: "critical", at: 3),
                    Fixture.regression(onset: 2),
                ],
                deployId: "d-5", triggers: ["customer_impact:critical", "rolled_back_automatically"], severity: "sev1"
            ).recordingNoGate(),
            Scenario(
                name: "onset after the canary window: canary too short",
                lines: [
                    Fixture.started("d-7"),
                    Fixture.gate(
                        "d-7", "canary", from: 0, to: 10,
                        extra: [
                            "trafficPercent": 10,
                            "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 100)],
                        ]),
                    Fixture.rollback("d-7", at: 25), Fixture.regression(onset: 20),
                ],
                deployId: "d-7", triggers: ["rolled_back_automatically"],
                findings: [
                    (
                        "canary.canary_window_too_short",
                        [
                            "windowSeconds": num(600), "onsetAfterStartSeconds": num(1200),
                            "suggestedWindowSeconds": num(1800),
                            "metric": str("latency_p99_ms"),
                        ]
                    )
                ],
                actions: ["Extend the canary window from 10 min to at least 30 min"]),
            Scenario(
                name: "canary traffic too low",
                lines: [
                    Fixture.started("d-8"),
                    Fixture.gate(
                        "d-8", "canary", from: 0, to: 10,
                        extra: [
                            "trafficPercent": 1,
                            "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 101)],
                        ]),
                    Fixture.finished("d-8", "failed", at: 30),
                ],
                deployId: "d-8", triggers: ["deploy_failed"],
                findings: [("canary.canary_traffic_too_low", ["trafficPercent": num(1), "minimumPercent": num(5)])],
                actions: ["Raise canary traffic from 1% to at least 5%"]),
            Scenario(
                name: "onset after soak end: soak too short",
                lines: [
                    Fixture.started("d-9"),
                    Fixture.gate("d-9", "soak", from: 10, to: 30, extra: ["trafficPercent": 100]),
                    Fixture.rollback("d-9", at: 45), Fixture.regression(onset: 40),
                ],
                deployId: "d-9", triggers: ["rolled_back_automatically"],
                findings: [
                    (
                        "soak.soak_metric_not_checked:latency_p99_ms",
                        ["baseline": num(100), "peak": num(200), "suggestedThreshold": num(120)]
                    ),
                    (
                        "soak.soak_window_too_short",
                        [
                            "windowSeconds": num(1200), "onsetAfterStartSeconds": num(1800),
                            "suggestedWindowSeconds": num(2700),
                        ]
                    ),
                ],
                actions: [
                    "Add a soak check on latency_p99_ms that fails above 120",
                    "Extend the soak window from 20 min to at least 45 min",
                ]),
            Scenario(
                name: "soak check passed although the soak saw the degradation: threshold too loose",
                lines: [
                    Fixture.started("d-26"),
                    Fixture.gate(
                        "d-26", "soak", from: 0, to: 30,
                        extra: [
                            "trafficPercent": 100,
                            "checks": [Fixture.check("latency_p99_ms", threshold: 300, observed: 200)],
                        ]),
                    Fixture.rollback("d-26", at: 35), Fixture.regression(onset: 2),
                ],
                deployId: "d-26", triggers: ["rolled_back_automatically"], severity: "sev3",
                findings: [
                    ("rollback.slow_detection", ["detectionSeconds": num(1980)]),
                    (
                        "soak.soak_threshold_too_loose:latency_p99_ms",
                        ["threshold": num(300), "observed": num(200), "suggestedThreshold": num(120)]
                    ),
                ],
                actions: [
                    "Alert and roll back on latency_p99_ms within 10 min (took 33 min)",
                    "Tighten the soak threshold on latency_p99_ms from 300 to 120",
                ]),
            Scenario(
                name: "soak traffic unrepresentative",
                lines: [
                    Fixture.started("d-10"),
                    Fixture.gate("d-10", "soak", from: 5, to: 65, extra: ["trafficPercent": 10]),
                    Fixture.finished("d-10", "failed", at: 70),
                ],
                deployId: "d-10", triggers: ["deploy_failed"],
                findings: [
                    ("soak.soak_traffic_unrepresentative", ["trafficPercent": num(10), "minimumPercent": num(50)])
                ],
                actions: ["Soak on at least 50% of production traffic (was 10%)"]),
            Scenario(
                name: "intermittent regression (bursts of three minutes out of ten) and slow detection",
                lines: [
                    Fixture.started("d-11"), Fixture.rollback("d-11", at: 29),
                    Fixture.metric(
                        "latency_p99_ms",
                        Fixture.baseline(100) + (0...40).map { ($0, (2...4).contains($0 % 10) ? 200 : 100) }),
                ],
                // Degraded (in bursts) for more than 30 minutes: at least sev3 by the severity policy.
                deployId: "d-11", triggers: ["rolled_back_automatically"], severity: "sev3",
                findings: [
                    ("rollback.slow_detection", ["detectionSeconds": num(1620)]),
                    (
                        "soak.intermittent_regression:latency_p99_ms",
                        ["breachFraction": num(4.0 / 11), "threshold": num(0.5)]
                    ),
                ],
                actions: [
                    "Alert and roll back on latency_p99_ms within 10 min (took 27 min)",
                    "Alert on sustained bursts of latency_p99_ms beyond 120, not on window averages",
                ]
            ).recordingNoGate(),
            Scenario(
                name: "canary skipped",
                lines: [
                    Fixture.started("d-12"), Fixture.gate("d-12", "canary", "skipped", from: 0, to: 0),
                    Fixture.rollback("d-12", at: 10),
                ],
                deployId: "d-12", triggers: ["rolled_back_automatically"],
                findings: [("canary.gate_skipped", ["gate": str("canary"), "outcome": str("skipped")])],
                actions: ["Make the canary gate mandatory for checkout"]),
            Scenario(
                name: "soak bypassed",
                lines: [
                    Fixture.started("d-13"), Fixture.gate("d-13", "soak", "bypassed", from: 5, to: 6),
                    Fixture.finished("d-13", "failed", at: 20),
                ],
                deployId: "d-13", triggers: ["deploy_failed"],
                findings: [("soak.gate_bypassed", ["gate": str("soak")])],
                actions: ["Require a recorded approval and a follow-up check before bypassing the soak gate"]),
            Scenario(
                name: "CI ran on synthetic test data",
                lines: [
                    Fixture.started("d-14"), Fixture.ci("d-14", extra: ["testData": "synthetic"]),
                    Fixture.finished("d-14", "failed", at: 15),
                ],
                deployId: "d-14", triggers: ["deploy_failed"],
                findings: [("ci.ci_coverage_gap", [:]), ("ci.ci_synthetic_test_data", ["testData": str("synthetic")])],
                actions: [
                    "Add a regression test that reproduces this failure in CI",
                    "Run the CI suite against production-like (anonymised) test data",
                ]),
            Scenario(
                name: "noise: a lone spike does not contribute",
                lines: [
                    Fixture.started("d-15"), Fixture.gate("d-15", "canary", from: 0, to: 10, extra: ["checks": []]),
                    Fixture.finished("d-15", "failed", at: 20),
                    Fixture.metric(
                        "latency_p99_ms", Fixture.baseline(100) + (0...30).map { ($0, $0 == 3 ? 500 : 100) }),
                ],
                deployId: "d-15", triggers: ["deploy_failed"]),
            Scenario(
                name: "noise: breaches straddling a data gap do not contribute",
                lines: [
                    Fixture.started("d-16"), Fixture.gate("d-16", "canary", from: 0, to: 10, extra: ["checks": []]),
                    Fixture.rollback("d-16", at: 20),
                    Fixture.metric(
                        "latency_p99_ms",
                        Fixture.baseline(100) + [(0, 100), (1, 100), (2, 200), (3, 200), (10, 200)]
                            + (11...25).map { ($0, 100) }),
                ],
                deployId: "d-16", triggers: ["rolled_back_automatically"]),
            Scenario(
                name: "declared SLO breached raises severity to sev2",
                lines: [
                    Fixture.started("d-17"), Fixture.rollback("d-17", at: 8),
                    Fixture.regression(onset: 2, slo: ["threshold": 150, "direction": "above"]),
                ],
                deployId: "d-17", triggers: ["rolled_back_automatically"], severity: "sev2"
            ).recordingNoGate(),
            Scenario(
                name: "canary failed and rolled back: the gate worked, no gap",
                lines: [
                    Fixture.started("d-18"),
                    Fixture.gate(
                        "d-18", "canary", "failed", from: 0, to: 5,
                        extra: [
                            "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 200, passed: false)]
                        ]),
                    Fixture.rollback("d-18", at: 6), Fixture.regression(onset: 2),
                ],
                deployId: "d-18", triggers: ["gate_failed:canary", "rolled_back_automatically"]),
            Scenario(
                name:
                    "CDEvents only: deployed, testsuiterun (chainId), incident (link, as CloudEvent data), rollback (to the previous artifact, 0.4)",
                lines: CDEventsFixture.scenario,
                deployId: "cd-1", triggers: ["customer_impact:medium", "rolled_back_manually"], severity: "sev3",
                findings: [
                    ("ci.ci_coverage_gap", ["testsTotal": num(50)]),
                    ("rollback.manual_rollback", ["initiatedBy": str("alice")]),
                ],
                actions: [
                    "Add a regression test that reproduces this failure in CI",
                    "Add an automated rollback trigger for this failure",
                ]),
            Scenario(
                name: "events without deployId attributed by service and window; a late one is not",
                lines: [
                    Fixture.started("d-20", service: "search"), Fixture.rollback(nil, at: 30, service: "search"),
                    Fixture.impact(nil, severity: "low", at: 25, service: "search"),
                    Fixture.intervention(nil, kind: "data_fix", at: 200, service: "search"),
                ],
                // Customer impact is never sev4, the "no customer impact" level.
                deployId: "d-20", triggers: ["customer_impact:low", "rolled_back_automatically"], severity: "sev3"
            ).recordingNoGate(service: "search"),
            Scenario(
                name: "duplicates and reordering change nothing",
                lines: Array((looseThreshold.lines + looseThreshold.lines).reversed()),
                deployId: "d-2", triggers: looseThreshold.triggers, findings: looseThreshold.findings,
                actions: looseThreshold.actions),
            Scenario(
                name: "success rate below its SLO (direction below), canary did not check it",
                lines: [
                    Fixture.started("d-22"), Fixture.gate("d-22", "canary", from: 0, to: 5, extra: ["checks": []]),
                    Fixture.rollback("d-22", at: 8),
                    Fixture.metric(
                        "success_rate", Fixture.baseline(99) + (0...13).map { ($0, $0 >= 2 ? 90 : 99) },
                        slo: ["threshold": 98.5, "direction": "below"]),
                ],
                deployId: "d-22", triggers: ["rolled_back_automatically"], severity: "sev2",
                findings: [
                    (
                        "canary.canary_metric_not_checked:success_rate",
                        ["baseline": num(99), "peak": num(90), "suggestedThreshold": num(98.5)]
                    )
                ],
                actions: ["Add a canary check on success_rate that fails below 98.5"]),
            Scenario(
                name: "CDEvents pipelinerun failure attributed by chainId",
                lines: CDEventsFixture.pipelineFailure,
                deployId: "cd-23", triggers: ["deploy_failed"]
            ).recordingNoGate(),
            Scenario(
                name: "no baseline data: the metric does not contribute",
                lines: [
                    Fixture.started("d-24"), Fixture.gate("d-24", "canary", from: 0, to: 10, extra: ["checks": []]),
                    Fixture.rollback("d-24", at: 8),
                    Fixture.metric("latency_p99_ms", (0...13).map { ($0, $0 >= 2 ? 200 : 100) }),
                ],
                deployId: "d-24", triggers: ["rolled_back_automatically"]),
            Scenario(
                name: "high impact, gate bypass intervention, canary bypassed, manual and slow rollback",
                lines: [
                    Fixture.started("d-25"), Fixture.ci("d-25"),
                    Fixture.gate("d-25", "canary", "bypassed", from: 0, to: 1),
                    Fixture.impact("d-25", severity: "high", at: 10),
                    Fixture.intervention("d-25", kind: "gate_bypass", at: 1),
                    Fixture.rollback("d-25", mode: "manual", at: 40, extra: ["initiatedBy": "carol"]),
                    Fixture.regression(onset: 5),
                ],
                deployId: "d-25",
                triggers: ["customer_impact:high", "intervention:gate_bypass", "rolled_back_manually"],
                severity: "sev2",
                findings: [
                    ("canary.gate_bypassed", [:]), ("ci.ci_coverage_gap", [:]),
                    (
                        "process.intervention:gate_bypass@2026-11-26T10:01:00Z",
                        ["actor": str("bob"), "kind": str("gate_bypass")]
                    ),
                    ("rollback.manual_rollback", ["initiatedBy": str("carol")]),
                    ("rollback.slow_detection", ["detectionSeconds": num(2100)]),
                ],
                actions: [
                    "Require a recorded approval and a follow-up check before bypassing the canary gate",
                    "Add a regression test that reproduces the latency_p99_ms regression in CI",
                    "Make the gate bypass a reviewed step of the pipeline",
                    "Add an automated rollback on latency_p99_ms",
                    "Alert and roll back on latency_p99_ms within 10 min (took 35 min)",
                ]),
        ]
        + InterventionKind.allCases.map { kind in
            let id = "d-6-\(kind.rawValue)"
            return Scenario(
                name: "out-of-band intervention \(kind.rawValue)",
                lines: [Fixture.started(id), Fixture.intervention(id, kind: kind.rawValue, at: 3)],
                deployId: id, triggers: ["intervention:\(kind.rawValue)"],
                findings: [
                    (
                        "process.intervention:\(kind.rawValue)@2026-11-26T10:03:00Z",
                        ["kind": str(kind.rawValue), "actor": str("bob")]
                    )
                ],
                actions: [
                    "Make the \(kind.rawValue.replacingOccurrences(of: "_", with: " ")) a reviewed step of the pipeline"
                ]
            )
            .recordingNoGate()
        }
}
