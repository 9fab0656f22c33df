import Foundation
import PostmortemService
import TestSupport
import Testing

/// `--version` and unreadable inputs, run as real processes.
@Suite("Command line basics")
struct CommandLineBasicsTests {
    @Test func versionPrintsTheSingleSourceOfTruth() throws {
        let outcome = try BuiltProducts.runDeployPostmortem(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput == ProductVersion.current + "\n")
        #expect(ProductVersion.userAgent == "deploy-postmortem/\(ProductVersion.current)")
    }

    @Test func analyzeOfAMissingFileSaysSoInOneLine() throws {
        let missing = "missing-\(UUID().uuidString).jsonl"
        let outcome = try BuiltProducts.runDeployPostmortem(["analyze", missing])
        #expect(outcome.status == 1)
        #expect(outcome.standardOutput.isEmpty)
        #expect(outcome.standardError == "error: cannot read \(missing): No such file or directory\n")
    }

    @Test func analyzeOfADirectorySaysWhy() throws {
        let directory = FileManager.default.temporaryDirectory.path
        let outcome = try BuiltProducts.runDeployPostmortem(["analyze", directory])
        #expect(outcome.status == 1)
        #expect(outcome.standardError == "error: cannot read \(directory): Is a directory\n")
    }
}
