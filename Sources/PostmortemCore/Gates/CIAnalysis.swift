/// Why CI did not catch it: coverage gap, flaky tests, synthetic test data. A passed CI gate that
/// reported no details (always so for a CDEvents `testsuiterun` without `customData.ci`) is
/// analysed with what is known — it passed, so no test caught the regression — and says what is
/// unknown.
enum CIAnalysis {
    static func findings(_ input: GateAnalysisInput) -> [Finding] {
        guard let gate = input.passed(.ci) else { return [] }
        guard let ci = gate.ci else { return [coverageGap(input, details: nil)] }
        var findings: [Finding] = []
        if ci.testsFailed == 0 { findings.append(coverageGap(input, details: ci)) }
        let flaky = ci.retriedTests.filter { $0.attempts > 1 && $0.finalOutcome == "passed" }.sorted {
            $0.name < $1.name
        }
        if !flaky.isEmpty {
            let names = flaky.map { "\($0.name) (\($0.attempts) attempts)" }.joined(separator: ", ")
            findings.append(
                Finding(
                    kind: .ciFlakyTests, area: .ci,
                    summary: "\(flaky.count) test(s) passed only after retries: \(names).",
                    fix:
                        "Fix or quarantine the flaky tests \(flaky.map(\.name).joined(separator: ", ")) and stop retrying them to green",
                    evidence: [
                        "tests": .array(flaky.map { .string($0.name) }),
                        "attempts": .array(flaky.map { .number(Double($0.attempts)) }),
                    ]))
        }
        if let data = ci.testData, data != .productionLike {
            findings.append(
                Finding(
                    kind: .ciSyntheticTestData, area: .ci,
                    summary: "CI tests ran on \(data.rawValue) data, not production-like data.",
                    fix: "Run the CI suite against production-like (anonymised) test data",
                    evidence: ["testData": .string(data.rawValue)]))
        }
        return findings
    }

    /// CI passed with no failing test (or, without details, simply passed): no test covers the regression.
    private static func coverageGap(_ input: GateAnalysisInput, details ci: CIDetails?) -> Finding {
        let metrics = input.contributing.map(\.metric)
        var evidence: [String: JSONValue] = ["detailsReported": .bool(ci != nil)]
        let summary: String
        if let ci {
            evidence["testsFailed"] = .number(0)
            evidence["testsTotal"] = ci.testsTotal.map { .number(Double($0)) }
            evidence["coveragePercent"] = ci.coveragePercent.map { .number($0) }
            evidence["runUrl"] = ci.runUrl.map { .string($0) }
            summary =
                "CI passed \(ci.testsTotal.map(String.init) ?? "all") tests with none failing"
                + (ci.coveragePercent.map { " at \(formatNumber($0))% coverage" } ?? "")
                + ": no test covers the regression."
        } else {
            summary =
                "CI passed, so no test caught the regression; it reported no details, so the test counts, "
                + "retried tests, coverage and test data are unknown."
        }
        return Finding(
            kind: .ciCoverageGap, area: .ci, summary: summary,
            fix: metrics.isEmpty
                ? "Add a regression test that reproduces this failure in CI"
                : "Add a regression test that reproduces the \(metrics.joined(separator: ", ")) regression in CI",
            evidence: evidence)
    }
}
