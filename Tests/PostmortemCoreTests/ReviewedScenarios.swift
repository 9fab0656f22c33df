import Foundation

@testable import PostmortemCore

// Scenarios that pin what a reviewer asks of a postmortem beyond its gaps: commit and rollback
// target, metrics ruled out with their numbers, data-quality warnings, what went well, response
// times and the impact statement. Every deploy starts at 10:00:00Z (minute 0) unless it says
// otherwise; Fixture.baseline(v) cycles v-1, v, v+1 (median v, MAD 1), so a baseline of 100 has
// the limit 100 + max(20 % of 100, 3 × 1.4826 × 1) = 120. The observation window runs from the
// start to the first rollback + 5 min. Expected figures are worked out from these inputs.
extension Scenario {
    /// `checkout_errors` per minute: 100 (after an hour of baseline around 100) before `onset`, `value` from it, minutes 0…`until`.
    static func errors(onset: Int, value: Double, until: Int = 40) -> String {
        Fixture.metric(
            "checkout_errors", Fixture.baseline(100) + (0...until).map { ($0, $0 >= onset ? value : 100) },
            unit: "errors/min")
    }

    static let reviewed: [Scenario] = [
        Scenario(
            name: "two deploys of one service 8 minutes apart: the rollback without deployId is the later one's",
            lines: [
                Fixture.started("d-30a"),
                Fixture.started(
                    "d-30b", at: 8,
                    extra: ["artifact": ["name": "checkout", "version": "1.43.0"], "commit": "4be1f0c"]),
                Fixture.rollback(nil, at: 12, extra: ["toVersion": "1.42.0"]), Fixture.regression(onset: 9, until: 30),
            ],
            // Onset 10:09 (three breaching samples from minute 9), rollback 10:12: 3 min, within target.
            // Degraded from 10:09 to the window end 10:17: 8 min.
            deployId: "d-30b", triggers: ["rolled_back_automatically"], noPostmortem: ["d-30a"],
            review: ExpectedReview(
                commit: "4be1f0c", rolledBackTo: ("1.42.0", nil), dataQuality: ["assumed_direction latency_p99_ms"],
                wentWell: ["Automation rolled back 3 min after the latency_p99_ms onset, within the 10 min target."],
                timeToDetect: 180, timeToMitigate: 0,
                impactStatement:
                    "No customer impact was reported. Degraded: latency_p99_ms went from 100 ms to 200 ms for 8 min.",
                markdown: [
                    "- **Commit:** 4be1f0c", "- **Rolled back to:** 1.42.0",
                    "- **Detection:** 3 min after the problem began (2026-11-26T10:09:00Z to 2026-11-26T10:12:00Z)",
                    "- **Mitigation:** 0 s after detection (rolled back 2026-11-26T10:12:00Z)",
                    "None: no other series around the deploy was judged.",
                ])
        ).recordingNoGate(),
        Scenario(
            name:
                "staging then prod of one artifact: prod's impact and rollback stay in prod; staging's series is not prod's",
            lines: [
                Fixture.started("d-31s", extra: ["environment": "staging"]), Fixture.started("d-31p", at: 30),
                Fixture.impact(nil, severity: "medium", at: 35),
                Fixture.rollback(nil, at: 40, extra: ["toVersion": "1.41.0"]),
                Fixture.metric(
                    "latency_p99_ms", Fixture.baseline(100, before: 30) + (30...50).map { ($0, $0 >= 32 ? 180 : 100) },
                    slo: ["threshold": 250, "direction": "above"], id: "prod-latency"),
                Fixture.metric(
                    "latency_p99_ms", Fixture.baseline(100) + (0...50).map { ($0, 100) }, id: "staging-latency",
                    environment: "staging"),
            ],
            // Limit min(120, SLO 250) = 120; onset 10:32, rollback 10:40 (8 min); impact 10:35–10:40 (5 min).
            deployId: "d-31p", triggers: ["customer_impact:medium", "rolled_back_automatically"], severity: "sev3",
            noPostmortem: ["d-31s"],
            review: ExpectedReview(
                rolledBackTo: ("1.41.0", nil),
                wentWell: [
                    "Automation rolled back 8 min after the latency_p99_ms onset, within the 10 min target.",
                    "Customer impact lasted 5 min: the rollback ended it within the 10 min target.",
                ],
                timeToDetect: 480, timeToMitigate: 0,
                impactStatement: "Customers were impacted (medium): checkout errors for 5 min, until the rollback. "
                    + "Degraded: latency_p99_ms went from 100 ms to 180 ms for 13 min.",
                markdown: ["- **How long:** 5 min", "- **Time to detect:** 5 min", "- **Time to mitigate:** 0 s"])
        ).recordingNoGate(),
        Scenario(
            name:
                "three regions: us degrades after the canary window, eu spikes once and ap stays flat (both ruled out)",
            lines: [
                Fixture.started("d-32"),
                Fixture.gate(
                    "d-32", "canary", from: 0, to: 10,
                    extra: [
                        "trafficPercent": 10,
                        "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 101)],
                    ]),
                Fixture.rollback("d-32", at: 25),
                Fixture.metric(
                    "latency_p99_ms", Fixture.baseline(100) + (0...40).map { ($0, $0 >= 15 ? 250 : 100) }, id: "lat-us",
                    labels: ["region": "us"]),
                Fixture.metric(
                    "latency_p99_ms", Fixture.baseline(100) + (0...40).map { ($0, $0 == 12 ? 130 : 100) }, id: "lat-eu",
                    labels: ["region": "eu"]),
                Fixture.metric(
                    "latency_p99_ms", Fixture.baseline(100) + (0...40).map { ($0, 101) }, id: "lat-ap",
                    labels: ["region": "ap"]),
            ],
            // us onset 10:15, 15 min into a 10 min canary: 1.5 × 900 s = 1350 s, rounded up to 5 min: 1500 s.
            deployId: "d-32", triggers: ["rolled_back_automatically"],
            findings: [
                (
                    "canary.canary_window_too_short",
                    [
                        "windowSeconds": num(600), "onsetAfterStartSeconds": num(900),
                        "suggestedWindowSeconds": num(1500),
                        "metric": str(#"latency_p99_ms{region="us"}"#),
                    ]
                )
            ],
            actions: ["Extend the canary window from 10 min to at least 25 min"],
            review: ExpectedReview(
                ruledOut: [
                    (#"latency_p99_ms{region="ap"}"#, 100, 120, 101), (#"latency_p99_ms{region="eu"}"#, 100, 120, 130),
                ],
                dataQuality: [
                    #"assumed_direction latency_p99_ms{region="ap"}"#,
                    #"assumed_direction latency_p99_ms{region="eu"}"#,
                    #"assumed_direction latency_p99_ms{region="us"}"#,
                ],
                wentWell: [
                    #"Automation rolled back 10 min after the latency_p99_ms{region="us"} onset, within the 10 min target."#
                ],
                timeToDetect: 600, timeToMitigate: 0,
                impactStatement:
                    #"No customer impact was reported. Degraded: latency_p99_ms{region="us"} went from 100 ms to 250 ms for 15 min."#,
                markdown: [
                    #"| latency_p99_ms{region="eu"} | 100 ms | 120 ms | 130 ms | no sustained breach (above 120 is bad) |"#,
                    #"| latency_p99_ms{region="ap"} | 100 ms | 120 ms | 101 ms | no breach (above 120 is bad) |"#,
                    // The canary's check on latency is replayed past its end: the suggested 25 min trip at the onset.
                    #"- **canary_window_too_short**: latency_p99_ms{region="us"} began degrading 15 min after the canary started, but the canary window was only 10 min. "#
                        + "A 25 min canary would have failed at 10:15 UTC, 10 min before the rollback; no earlier healthy deploy to count false alarms on.",
                ])),
        Scenario(
            name:
                "CDEvents: the rollback restores the previous artifact; the target and the commit are in the postmortem",
            lines: [
                Fixture.json(
                    CDEventsFixture.cdevent(
                        "service.deployed.0.3.0", id: "cd-40", at: -60,
                        subject: [
                            "id": "checkout",
                            "content": ["environment": ["id": "prod"], "artifactId": "pkg:oci/checkout@sha256:1a1a"],
                        ],
                        customData: ["version": "1.9.0"])),
                Fixture.json(
                    CDEventsFixture.cdevent(
                        "service.deployed.0.3.0", id: "cd-41", at: 0,
                        subject: [
                            "id": "checkout",
                            "content": ["environment": ["id": "prod"], "artifactId": "pkg:oci/checkout@sha256:2b2b"],
                        ],
                        customData: ["version": "2.0.0", "commit": "9f2c1e7", "team": "payments"])),
                Fixture.json(
                    CDEventsFixture.cdevent(
                        "service.rolledback.0.2.0", id: "cd-42", at: 7, specversion: "0.4.1",
                        subject: [
                            "id": "checkout",
                            "content": ["environment": ["id": "prod"], "artifactId": "pkg:oci/checkout@sha256:1a1a"],
                        ],
                        customData: ["toVersion": "1.9.0"])),
            ],
            deployId: "cd-41", triggers: ["rolled_back_automatically"], noPostmortem: ["cd-40"],
            review: ExpectedReview(
                commit: "9f2c1e7", rolledBackTo: ("1.9.0", "pkg:oci/checkout@sha256:1a1a"),
                wentWell: ["Automation rolled the deploy back at 2026-11-26T10:07:00Z without waiting for a person."],
                timeToDetect: nil, timeToMitigate: 0,
                impactStatement: "No customer impact was reported. No metric degraded beyond its baseline.",
                markdown: [
                    "- **Rolled back to:** 1.9.0 pkg:oci/checkout@sha256:1a1a", "- **Commit:** 9f2c1e7",
                    "- **Detection:** time unknown (no metric onset or customer impact start to time it from)",
                ])
        ).recordingNoGate(),
        Scenario(
            name:
                "high customer impact contained in 4 minutes by a timely automatic rollback; the canary ended a minute too early",
            lines: [
                Fixture.started("d-33"), Fixture.ci("d-33"),
                Fixture.gate(
                    "d-33", "canary", from: 0, to: 5,
                    extra: [
                        "trafficPercent": 10,
                        "checks": [Fixture.check("checkout_errors", threshold: 150, observed: 100)],
                    ]),
                Fixture.impact("d-33", severity: "high", at: 7),
                Fixture.rollback("d-33", at: 11, extra: ["toVersion": "1.41.0", "triggerMetric": "checkout_errors"]),
                errors(onset: 6, value: 400),
            ],
            // Onset 6 min into a 5 min canary: 1.5 × 360 s = 540 s (whole minutes below 10 min).
            deployId: "d-33", triggers: ["customer_impact:high", "rolled_back_automatically"], severity: "sev2",
            findings: [
                (
                    "canary.canary_window_too_short",
                    ["windowSeconds": num(300), "onsetAfterStartSeconds": num(360), "suggestedWindowSeconds": num(540)]
                ),
                ("ci.ci_coverage_gap", ["testsTotal": num(420), "testsFailed": num(0), "coveragePercent": num(81.5)]),
            ],
            actions: [
                "Extend the canary window from 5 min to at least 9 min",
                "Add a regression test that reproduces the checkout_errors regression in CI",
            ],
            review: ExpectedReview(
                rolledBackTo: ("1.41.0", nil), dataQuality: ["assumed_direction checkout_errors"],
                wentWell: [
                    "Automation rolled back 5 min after the checkout_errors onset, within the 10 min target.",
                    "Customer impact lasted 4 min: the rollback ended it within the 10 min target.",
                ],
                timeToDetect: 300, timeToMitigate: 0,
                impactStatement: "Customers were impacted (high): checkout errors for 4 min, until the rollback. "
                    + "Degraded: checkout_errors went from 100 errors/min to 400 errors/min for 10 min.",
                dueAt: "2026-12-10T10:07:00Z")),
        Scenario(
            name: "emergency config change by hand during the rollout, then a manual rollback within the target",
            lines: [
                Fixture.started("d-34"),
                Fixture.gate(
                    "d-34", "canary", from: 0, to: 10,
                    extra: [
                        "trafficPercent": 10,
                        "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 110)],
                    ]),
                Fixture.intervention(
                    "d-34", kind: "config_change", at: 12, description: "raised the DB pool from 20 to 80 by hand"),
                Fixture.rollback("d-34", mode: "manual", at: 20, extra: ["initiatedBy": "dana"]),
                Fixture.regression(onset: 13, value: 300, until: 40),
            ],
            // Onset 13 min into a 10 min canary: 1.5 × 780 s = 1170 s, rounded up to 5 min: 1200 s.
            deployId: "d-34", triggers: ["intervention:config_change", "rolled_back_manually"], severity: "sev3",
            findings: [
                (
                    "canary.canary_window_too_short",
                    ["onsetAfterStartSeconds": num(780), "suggestedWindowSeconds": num(1200)]
                ),
                (
                    "process.intervention:config_change@2026-11-26T10:12:00Z",
                    ["kind": str("config_change"), "actor": str("bob")]
                ),
                (
                    "rollback.manual_rollback",
                    ["initiatedBy": str("dana"), "rolledBackAt": str("2026-11-26T10:20:00Z")]
                ),
            ],
            actions: [
                "Extend the canary window from 10 min to at least 20 min",
                "Make the config change a reviewed step of the pipeline",
                "Add an automated rollback on latency_p99_ms",
            ],
            review: ExpectedReview(
                dataQuality: ["assumed_direction latency_p99_ms"],
                wentWell: ["dana rolled back 7 min after the latency_p99_ms onset, within the 10 min target."],
                timeToDetect: 420, timeToMitigate: 0,
                impactStatement:
                    "No customer impact was reported. Degraded: latency_p99_ms went from 100 ms to 300 ms for 12 min.",
                dueAt: "2026-12-26T10:12:00Z",
                markdown: [
                    "- 2026-11-26T10:12:00Z — bob intervened: config_change — raised the DB pool from 20 to 80 by hand"
                ])),
        Scenario(
            name: "migration failed the deploy; someone repaired the data by hand; CI ran on fixtures",
            lines: [
                Fixture.started("d-35", extra: ["commit": "e5d1a22"]),
                Fixture.ci("d-35", total: 1200, extra: ["testData": "fixtures", "coveragePercent": 74]),
                Fixture.finished("d-35", "failed", at: 15, reason: "migration 0042 timed out holding a lock on orders"),
                Fixture.intervention(
                    "d-35", kind: "data_fix", at: 18, actor: "grace",
                    description: "deleted 312 half-migrated rows from orders"),
            ],
            deployId: "d-35", triggers: ["deploy_failed", "intervention:data_fix"],
            findings: [
                ("ci.ci_coverage_gap", ["testsTotal": num(1200), "coveragePercent": num(74)]),
                ("ci.ci_synthetic_test_data", ["testData": str("fixtures")]),
                (
                    "process.intervention:data_fix@2026-11-26T10:18:00Z",
                    ["kind": str("data_fix"), "actor": str("grace")]
                ),
            ],
            actions: [
                "Add a regression test that reproduces this failure in CI",
                "Run the CI suite against production-like (anonymised) test data",
                "Make the data fix a reviewed step of the pipeline",
            ],
            review: ExpectedReview(
                commit: "e5d1a22", timeToDetect: nil, timeToMitigate: nil,
                impactStatement: "No customer impact was reported. No metric degraded beyond its baseline.",
                markdown: [
                    "- **Commit:** e5d1a22", "- **Mitigation:** none recorded (no rollback after detection)",
                    "Nothing to keep: no gate caught the change and no rollback came within the detection target.",
                    "- **ci_coverage_gap**: CI passed 1200 tests with none failing at 74% coverage: no test covers the regression.",
                ])),
        Scenario(
            name: "last-minute emergency approval two minutes before the deploy; soak bypassed; rollback in 4 minutes",
            lines: [
                Fixture.started("d-36"),
                Fixture.intervention(
                    "d-36", kind: "emergency_approval", at: -2, actor: "heidi",
                    description: "approved outside the change window"),
                Fixture.ci("d-36"), Fixture.gate("d-36", "soak", "bypassed", from: 5, to: 6),
                Fixture.rollback("d-36", at: 24),
                errors(onset: 20, value: 300),
            ],
            // Degraded from 10:20 to the window end 10:29. The first trigger (09:58) dates the items: sev4, 60 days.
            deployId: "d-36", triggers: ["intervention:emergency_approval", "rolled_back_automatically"],
            findings: [
                ("ci.ci_coverage_gap", ["testsTotal": num(420)]),
                (
                    "process.intervention:emergency_approval@2026-11-26T09:58:00Z",
                    ["kind": str("emergency_approval"), "actor": str("heidi")]
                ),
                ("soak.gate_bypassed", ["gate": str("soak"), "outcome": str("bypassed")]),
            ],
            actions: [
                "Add a regression test that reproduces the checkout_errors regression in CI",
                "Make the emergency approval a reviewed step of the pipeline",
                "Require a recorded approval and a follow-up check before bypassing the soak gate",
            ],
            review: ExpectedReview(
                dataQuality: ["assumed_direction checkout_errors"],
                wentWell: ["Automation rolled back 4 min after the checkout_errors onset, within the 10 min target."],
                timeToDetect: 240, timeToMitigate: 0,
                impactStatement:
                    "No customer impact was reported. Degraded: checkout_errors went from 100 errors/min to 300 errors/min for 9 min.",
                dueAt: "2027-01-25T09:58:00Z")),
        Scenario(
            name: "no gate at all and a manual rollback 52 minutes after the onset",
            lines: [
                Fixture.started("d-37"), Fixture.regression(onset: 8, until: 70),
                Fixture.rollback("d-37", mode: "manual", at: 60, extra: ["initiatedBy": "erin"]),
            ],
            // Onset 10:08, rollback 11:00: 3120 s. Degraded to the window end 11:05: 57 min, past 30 min.
            deployId: "d-37", triggers: ["rolled_back_manually"], severity: "sev3",
            findings: [
                ("rollback.manual_rollback", ["initiatedBy": str("erin")]),
                ("rollback.slow_detection", ["detectionSeconds": num(3120), "targetSeconds": num(600)]),
            ],
            actions: [
                "Add an automated rollback on latency_p99_ms",
                "Alert and roll back on latency_p99_ms within 10 min (took 52 min)",
            ],
            review: ExpectedReview(
                dataQuality: ["assumed_direction latency_p99_ms"], timeToDetect: 3120, timeToMitigate: 0,
                impactStatement:
                    "No customer impact was reported. Degraded: latency_p99_ms went from 100 ms to 200 ms for 57 min.",
                markdown: [
                    "- **Detection:** 52 min after the problem began (2026-11-26T10:08:00Z to 2026-11-26T11:00:00Z)",
                    "- **slow_detection**: 52 min passed from the latency_p99_ms onset to rollback; the target is 10 min.",
                ])
        ).recordingNoGate(),
        Scenario(
            name: "a flaky test retried green in CI, then the canary caught the regression and rolled back",
            lines: [
                Fixture.started("d-38"),
                Fixture.ci(
                    "d-38",
                    extra: [
                        "retriedTests": [["name": "PaymentTests.testCapture", "attempts": 4, "finalOutcome": "passed"]]
                    ]),
                Fixture.gate(
                    "d-38", "canary", "failed", from: 0, to: 6,
                    extra: [
                        "trafficPercent": 10,
                        "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 240, passed: false)],
                    ]),
                Fixture.rollback("d-38", at: 7), Fixture.regression(onset: 3, value: 240, until: 30),
            ],
            // Onset 10:03; the canary failed at 10:06 (detection), the rollback followed at 10:07.
            deployId: "d-38", triggers: ["gate_failed:canary", "rolled_back_automatically"],
            findings: [
                ("ci.ci_coverage_gap", ["testsFailed": num(0)]),
                (
                    "ci.ci_flaky_tests",
                    ["tests": .array([str("PaymentTests.testCapture")]), "attempts": .array([num(4)])]
                ),
            ],
            actions: [
                "Add a regression test that reproduces the latency_p99_ms regression in CI",
                "Fix or quarantine the flaky tests PaymentTests.testCapture and stop retrying them to green",
            ],
            review: ExpectedReview(
                dataQuality: ["assumed_direction latency_p99_ms"],
                wentWell: [
                    "The canary gate failed and stopped the change: its check on latency_p99_ms at 240 against 150 failed.",
                    "Automation rolled back 4 min after the latency_p99_ms onset, within the 10 min target.",
                ],
                timeToDetect: 180, timeToMitigate: 60,
                impactStatement:
                    "No customer impact was reported. Degraded: latency_p99_ms went from 100 ms to 240 ms for 9 min.",
                markdown: [
                    "- **Mitigation:** 60 s after detection (rolled back 2026-11-26T10:07:00Z)", "## What went well",
                ])),
        Scenario(
            name:
                "CI on synthetic data at 62% coverage; the soak check passed at 250 ms with a 400 ms threshold; rollback after 27 minutes",
            lines: [
                Fixture.started("d-39"), Fixture.ci("d-39", extra: ["testData": "synthetic", "coveragePercent": 62]),
                Fixture.gate(
                    "d-39", "soak", from: 10, to: 40,
                    extra: [
                        "trafficPercent": 100,
                        "checks": [Fixture.check("latency_p99_ms", threshold: 400, observed: 250)],
                    ]),
                Fixture.rollback("d-39", at: 42), Fixture.regression(onset: 15, value: 250),
            ],
            // Onset 10:15, rollback 10:42 (1620 s); degraded to 10:47: 32 min, past 30 min: sev3.
            deployId: "d-39", triggers: ["rolled_back_automatically"], severity: "sev3",
            findings: [
                ("ci.ci_coverage_gap", ["coveragePercent": num(62)]),
                ("ci.ci_synthetic_test_data", ["testData": str("synthetic")]),
                ("rollback.slow_detection", ["detectionSeconds": num(1620)]),
                (
                    "soak.soak_threshold_too_loose:latency_p99_ms",
                    [
                        "threshold": num(400), "observed": num(250), "baseline": num(100), "peak": num(250),
                        "suggestedThreshold": num(120),
                    ]
                ),
            ],
            actions: [
                "Add a regression test that reproduces the latency_p99_ms regression in CI",
                "Run the CI suite against production-like (anonymised) test data",
                "Alert and roll back on latency_p99_ms within 10 min (took 27 min)",
                "Tighten the soak threshold on latency_p99_ms from 400 to 120",
            ],
            review: ExpectedReview(
                dataQuality: ["assumed_direction latency_p99_ms"], timeToDetect: 1620, timeToMitigate: 0,
                impactStatement:
                    "No customer impact was reported. Degraded: latency_p99_ms went from 100 ms to 250 ms for 32 min.",
                dueAt: "2026-12-26T10:42:00Z")),
        Scenario(
            name:
                "soak too short: the regression began 90 minutes into a one-hour soak; the suggestion is a whole quarter hour",
            lines: [
                Fixture.started("d-40"),
                Fixture.gate(
                    "d-40", "soak", from: 5, to: 65,
                    extra: [
                        "trafficPercent": 100,
                        "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 102)],
                    ]),
                Fixture.rollback("d-40", at: 100), Fixture.regression(onset: 95, until: 110),
            ],
            // 1.5 × 5400 s = 8100 s: between 1 h and 4 h rounded up to 15 min, which it already is (2 h 15 min).
            deployId: "d-40", triggers: ["rolled_back_automatically"],
            findings: [
                (
                    "soak.soak_window_too_short",
                    [
                        "windowSeconds": num(3600), "onsetAfterStartSeconds": num(5400),
                        "suggestedWindowSeconds": num(8100),
                    ]
                )
            ],
            actions: ["Extend the soak window from 1 h to at least 2 h 15 min"],
            review: ExpectedReview(
                dataQuality: ["assumed_direction latency_p99_ms"],
                wentWell: ["Automation rolled back 5 min after the latency_p99_ms onset, within the 10 min target."],
                timeToDetect: 300, timeToMitigate: 0,
                impactStatement:
                    "No customer impact was reported. Degraded: latency_p99_ms went from 100 ms to 200 ms for 10 min.",
                markdown: [
                    "- **soak_window_too_short**: latency_p99_ms began degrading 1 h 30 min after the soak started, but the soak window was only 1 h. "
                        + "A 2 h 15 min soak would have failed at 11:35 UTC, 5 min before the rollback; no earlier healthy deploy to count false alarms on."
                ])),
        Scenario(
            name: "soak on 20% of traffic misses an intermittent regression (3 minutes in 10)",
            lines: [
                Fixture.started("d-41"),
                Fixture.gate(
                    "d-41", "soak", from: 5, to: 45,
                    extra: [
                        "trafficPercent": 20,
                        "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 105)],
                    ]),
                Fixture.rollback("d-41", at: 45),
                Fixture.metric(
                    "latency_p99_ms", Fixture.baseline(100) + (0...50).map { ($0, $0 >= 10 && $0 % 10 < 3 ? 200 : 100) }
                ),
            ],
            // Onset 10:10; from it to the window end 10:50, 13 of 41 samples breach (10:50 opens a burst), so the
            // degradation lasts 40 min. Rollback 35 min after the onset.
            deployId: "d-41", triggers: ["rolled_back_automatically"], severity: "sev3",
            findings: [
                ("rollback.slow_detection", ["detectionSeconds": num(2100)]),
                (
                    "soak.intermittent_regression:latency_p99_ms",
                    ["breachFraction": num(13.0 / 41), "threshold": num(0.5)]
                ),
                ("soak.soak_traffic_unrepresentative", ["trafficPercent": num(20), "minimumPercent": num(50)]),
            ],
            actions: [
                "Alert and roll back on latency_p99_ms within 10 min (took 35 min)",
                "Alert on sustained bursts of latency_p99_ms beyond 120, not on window averages",
                "Soak on at least 50% of production traffic (was 20%)",
            ],
            review: ExpectedReview(
                dataQuality: ["assumed_direction latency_p99_ms"], timeToDetect: 2100, timeToMitigate: 0,
                impactStatement:
                    "No customer impact was reported. Degraded: latency_p99_ms went from 100 ms to 200 ms for 40 min.")),
        Scenario(
            name: "the canary gated latency but errors regressed: metric not gated; latency ruled out with its numbers",
            lines: [
                Fixture.started("d-43"),
                Fixture.gate(
                    "d-43", "canary", from: 0, to: 10,
                    extra: [
                        "trafficPercent": 10,
                        "checks": [Fixture.check("latency_p99_ms", threshold: 150, observed: 100)],
                    ]),
                Fixture.rollback("d-43", at: 9),
                Fixture.metric(
                    "errors_per_min", Fixture.baseline(100) + (0...30).map { ($0, $0 >= 4 ? 300 : 100) }, id: "errors",
                    unit: "errors/min"),
                Fixture.metric("latency_p99_ms", Fixture.baseline(100) + (0...30).map { ($0, 100) }, id: "latency"),
            ],
            deployId: "d-43", triggers: ["rolled_back_automatically"],
            findings: [
                (
                    "canary.canary_metric_not_checked:errors_per_min",
                    ["baseline": num(100), "peak": num(300), "suggestedThreshold": num(120)]
                )
            ],
            actions: ["Add a canary check on errors_per_min that fails above 120"],
            review: ExpectedReview(
                ruledOut: [("latency_p99_ms", 100, 120, 100)],
                dataQuality: ["assumed_direction errors_per_min", "assumed_direction latency_p99_ms"],
                wentWell: ["Automation rolled back 5 min after the errors_per_min onset, within the 10 min target."],
                timeToDetect: 300, timeToMitigate: 0,
                impactStatement:
                    "No customer impact was reported. Degraded: errors_per_min went from 100 errors/min to 300 errors/min for 10 min.",
                markdown: ["| latency_p99_ms | 100 ms | 120 ms | 100 ms | no breach (above 120 is bad) |"])),
        Scenario(
            name: "crash loop: the deploy failed and was rolled back; CPU and memory are ruled out",
            lines: [
                Fixture.started("d-44"), Fixture.ci("d-44"),
                Fixture.gate("d-44", "canary", from: 0, to: 10, extra: ["trafficPercent": 10, "checks": []]),
                Fixture.finished("d-44", "failed", at: 12, reason: "pods crashlooping: missing env PAYMENTS_URL"),
                Fixture.rollback("d-44", at: 13),
                Fixture.metric("cpu_percent", Fixture.baseline(40) + (0...30).map { ($0, 41) }, id: "cpu", unit: "%"),
                Fixture.metric(
                    "memory_mb", Fixture.baseline(100) + (0...30).map { ($0, 100) }, id: "memory", unit: "MiB"),
            ],
            // CPU: baseline 40, limit 40 + max(8, 4.45) = 48, peak 41. Detected by the failed finish (10:12), rolled back 10:13.
            deployId: "d-44", triggers: ["deploy_failed", "rolled_back_automatically"],
            findings: [("ci.ci_coverage_gap", ["testsTotal": num(420)])],
            actions: ["Add a regression test that reproduces this failure in CI"],
            review: ExpectedReview(
                ruledOut: [("cpu_percent", 40, 48, 41), ("memory_mb", 100, 120, 100)],
                dataQuality: ["assumed_direction cpu_percent", "assumed_direction memory_mb"],
                wentWell: ["Automation rolled the deploy back at 2026-11-26T10:13:00Z without waiting for a person."],
                timeToDetect: nil, timeToMitigate: 60,
                impactStatement: "No customer impact was reported. No metric degraded beyond its baseline.",
                markdown: [
                    "| cpu_percent | 40 % | 48 % | 41 % | no breach (above 48 is bad) |", "## Metrics ruled out",
                ])),
        Scenario(
            name:
                "a rollback and an impact report 2 h 10 min after the only deploy are surfaced unattributed, not guessed",
            lines: [
                Fixture.started("d-45"), Fixture.rollback(nil, at: 130), Fixture.impact(nil, severity: "low", at: 131),
            ],
            deployId: "d-45", triggers: nil, unattributed: 2),
        Scenario(
            name: "one pod of two breaches its SLO; the canary threshold of 10% let 9% through",
            lines: [
                Fixture.started("d-46"),
                Fixture.gate(
                    "d-46", "canary", from: 0, to: 10,
                    extra: [
                        "trafficPercent": 25,
                        "checks": [
                            [
                                "metric": "error_rate_percent", "threshold": 10, "direction": "above", "observed": 9,
                                "passed": true,
                            ]
                        ],
                    ]),
                Fixture.rollback("d-46", at: 8),
                Fixture.metric(
                    "error_rate_percent", Fixture.baseline(1) + (0...20).map { ($0, 1) },
                    slo: ["threshold": 5, "direction": "above"], id: "err-a", unit: "%", labels: ["pod": "a"]),
                Fixture.metric(
                    "error_rate_percent", Fixture.baseline(1) + (0...20).map { ($0, $0 >= 3 ? 9 : 1) },
                    slo: ["threshold": 5, "direction": "above"], id: "err-b", unit: "%", labels: ["pod": "b"]),
            ],
            // Baseline 1 (MAD 1): limit min(1 + 4.45, SLO 5) = 5. Pod b breaches the SLO: sev2, items due in 14 days.
            deployId: "d-46", triggers: ["rolled_back_automatically"], severity: "sev2",
            findings: [
                (
                    #"canary.canary_threshold_too_loose:error_rate_percent{pod="b"}"#,
                    [
                        "threshold": num(10), "observed": num(9), "baseline": num(1), "peak": num(9),
                        "suggestedThreshold": num(5),
                    ]
                )
            ],
            actions: [#"Tighten the canary threshold on error_rate_percent{pod="b"} from 10 to 5"#],
            review: ExpectedReview(
                ruledOut: [(#"error_rate_percent{pod="a"}"#, 1, 5, 1)],
                wentWell: [
                    #"Automation rolled back 5 min after the error_rate_percent{pod="b"} onset, within the 10 min target."#
                ],
                timeToDetect: 300, timeToMitigate: 0,
                impactStatement:
                    #"No customer impact was reported. Degraded: error_rate_percent{pod="b"} went from 1 % to 9 % for 10 min."#,
                dueAt: "2026-12-10T10:08:00Z")),
        Scenario(
            name: "severity policy: where a manual rollback is sev2, items are due in 14 days",
            lines: [
                Fixture.started("d-47"), Fixture.ci("d-47"),
                Fixture.gate("d-47", "canary", from: 0, to: 5, extra: ["trafficPercent": 10, "checks": []]),
                Fixture.gate("d-47", "soak", from: 5, to: 35, extra: ["trafficPercent": 100]),
                Fixture.rollback(
                    "d-47", mode: "manual", at: 36,
                    extra: [
                        "initiatedBy": "frank", "triggerMetric": "queue_depth",
                        "reason": "orders piling up in the queue",
                    ]),
            ],
            deployId: "d-47", triggers: ["rolled_back_manually"], severity: "sev2",
            findings: [
                ("ci.ci_coverage_gap", ["detailsReported": .bool(true)]),
                ("rollback.manual_rollback", ["initiatedBy": str("frank")]),
            ],
            actions: [
                "Add a regression test that reproduces this failure in CI", "Add an automated rollback on queue_depth",
            ],
            config: {
                var c = AnalysisConfig()
                c.severityPolicy.manualRollback = .sev2
                return c
            }(),
            review: ExpectedReview(
                timeToDetect: nil, timeToMitigate: 0,
                impactStatement: "No customer impact was reported. No metric degraded beyond its baseline.",
                dueAt: "2026-12-10T10:36:00Z",
                markdown: ["- 2026-11-26T10:36:00Z — Rolled back (manual) by frank: orders piling up in the queue"])),
        Scenario(
            name: "severity policy: where 10 minutes is a long degradation, 15 minutes of latency is sev3",
            lines: [
                Fixture.started("d-48"),
                Fixture.gate(
                    "d-48", "canary", from: 0, to: 5,
                    extra: [
                        "trafficPercent": 10,
                        "checks": [Fixture.check("latency_p99_ms", threshold: 250, observed: 200)],
                    ]),
                Fixture.rollback("d-48", at: 12), Fixture.regression(onset: 2, until: 30),
            ],
            // Onset 10:02 to the window end 10:17: 900 s ≥ 600 s. The rollback came exactly at the 10 min target.
            deployId: "d-48", triggers: ["rolled_back_automatically"], severity: "sev3",
            findings: [
                (
                    "canary.canary_threshold_too_loose:latency_p99_ms",
                    ["threshold": num(250), "observed": num(200), "suggestedThreshold": num(120)]
                )
            ],
            actions: ["Tighten the canary threshold on latency_p99_ms from 250 to 120"],
            config: {
                var c = AnalysisConfig()
                c.severityPolicy.longDegradationSeconds = 600
                return c
            }(),
            review: ExpectedReview(
                dataQuality: ["assumed_direction latency_p99_ms"],
                wentWell: ["Automation rolled back 10 min after the latency_p99_ms onset, within the 10 min target."],
                timeToDetect: 600, timeToMitigate: 0,
                impactStatement:
                    "No customer impact was reported. Degraded: latency_p99_ms went from 100 ms to 200 ms for 15 min.")),
        Scenario(
            name:
                "critical impact found 15 minutes late and ended by a config change, not a rollback: sev1, nothing went well",
            lines: [
                Fixture.started("d-49"),
                Fixture.impact(
                    "d-49", severity: "critical", at: 5,
                    extra: ["detectedAt": Fixture.t(20), "description": "card payments declined"]),
                Fixture.intervention(
                    "d-49", kind: "config_change", at: 30, actor: "ivan",
                    description: "switched payments to the backup acquirer"),
                Fixture.finished("d-49", "failed", at: 55, reason: "rollout aborted"),
            ],
            deployId: "d-49", triggers: ["customer_impact:critical", "deploy_failed", "intervention:config_change"],
            severity: "sev1",
            findings: [("process.intervention:config_change@2026-11-26T10:30:00Z", ["actor": str("ivan")])],
            actions: ["Make the config change a reviewed step of the pipeline"],
            review: ExpectedReview(
                timeToDetect: 900, timeToMitigate: nil,
                impactStatement: "Customers were impacted (critical): card payments declined, not ended by a rollback.",
                dueAt: "2026-12-03T10:05:00Z",
                markdown: ["- **Time to detect:** 15 min", "- **How long:** unknown (not mitigated by a rollback)"])
        ).recordingNoGate(),
        Scenario(
            name: "an eight-minute hole in the samples right before the onset is a data-quality warning",
            lines: [
                Fixture.started("d-50"), Fixture.rollback("d-50", at: 20),
                Fixture.metric(
                    "latency_p99_ms", Fixture.baseline(100) + (0...4).map { ($0, 100) } + (12...30).map { ($0, 200) }),
            ],
            // No sample from 10:04 to 10:12 (480 s > 120 s). Onset 10:12, rollback 10:20, degraded to 10:25.
            deployId: "d-50", triggers: ["rolled_back_automatically"],
            review: ExpectedReview(
                dataQuality: ["sample_gap latency_p99_ms", "assumed_direction latency_p99_ms"],
                wentWell: ["Automation rolled back 8 min after the latency_p99_ms onset, within the 10 min target."],
                timeToDetect: 480, timeToMitigate: 0,
                impactStatement:
                    "No customer impact was reported. Degraded: latency_p99_ms went from 100 ms to 200 ms for 13 min.",
                markdown: [
                    "- **sample_gap**: latency_p99_ms: no sample for 8 min from 2026-11-26T10:04:00Z to 2026-11-26T10:12:00Z; a breach could hide in it."
                ])
        )
        .recordingNoGate(),
        Scenario(
            name:
                "a new metric with three baseline samples and one that stopped reporting cannot be judged, and the postmortem says so",
            lines: [
                Fixture.started("d-51"), Fixture.rollback("d-51", at: 10),
                Fixture.metric("new_feature_errors", (-3...15).map { ($0, 5) }, id: "new", unit: "errors/min"),
                Fixture.metric(
                    "latency_p99_ms", Fixture.baseline(100) + (0...20).map { ($0, 100) },
                    slo: ["threshold": 300, "direction": "above"], id: "latency"),
                Fixture.metric("queue_depth", Fixture.baseline(50), id: "queue", unit: "messages"),
            ],
            deployId: "d-51", triggers: ["rolled_back_automatically"],
            review: ExpectedReview(
                ruledOut: [("latency_p99_ms", 100, 120, 100)],
                dataQuality: ["insufficient_baseline new_feature_errors", "no_samples_in_window queue_depth"],
                wentWell: ["Automation rolled the deploy back at 2026-11-26T10:10:00Z without waiting for a person."],
                timeToDetect: nil, timeToMitigate: 0,
                impactStatement: "No customer impact was reported. No metric degraded beyond its baseline.",
                markdown: [
                    "- **insufficient_baseline**: new_feature_errors: 3 baseline sample(s) of the 5 needed, so it was not judged.",
                    "- **no_samples_in_window**: queue_depth: no sample after the deploy started, so it was not judged.",
                ])
        ).recordingNoGate(),
        Scenario(
            name:
                "customer impact and no metric: a rollback 4 minutes after the impact began is timely, and the impact contained",
            lines: [
                Fixture.started("d-52"),
                Fixture.gate("d-52", "canary", from: 0, to: 5, extra: ["trafficPercent": 10, "checks": []]),
                Fixture.impact("d-52", severity: "low", at: 6), Fixture.rollback("d-52", at: 10),
            ],
            // Low impact is never below sev3; items due 30 days after the impact began (10:06).
            deployId: "d-52", triggers: ["customer_impact:low", "rolled_back_automatically"], severity: "sev3",
            review: ExpectedReview(
                wentWell: [
                    "Automation rolled back 4 min after customer impact began, within the 10 min target.",
                    "Customer impact lasted 4 min: the rollback ended it within the 10 min target.",
                ],
                timeToDetect: 240, timeToMitigate: 0,
                impactStatement: "Customers were impacted (low): checkout errors for 4 min, until the rollback.",
                dueAt: "2026-12-26T10:06:00Z")),
        Scenario(
            name:
                "customers impacted for 25 minutes before the automatic rollback: a late rollback is not something that went well",
            lines: [
                Fixture.started("d-53"),
                Fixture.gate("d-53", "canary", from: 0, to: 5, extra: ["trafficPercent": 10, "checks": []]),
                Fixture.impact("d-53", severity: "high", at: 10), Fixture.rollback("d-53", at: 35),
            ],
            deployId: "d-53", triggers: ["customer_impact:high", "rolled_back_automatically"], severity: "sev2",
            review: ExpectedReview(
                timeToDetect: 1500, timeToMitigate: 0,
                impactStatement: "Customers were impacted (high): checkout errors for 25 min, until the rollback.",
                markdown: [
                    "Nothing to keep: no gate caught the change and no rollback came within the detection target."
                ])),
    ]
}
