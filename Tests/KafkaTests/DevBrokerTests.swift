import Foundation
import Kafka
import TestSupport
import Testing

@Suite("dev-broker")
struct DevBrokerTests {
    /// The topics `deploy-postmortem dev-broker` creates by default (docs/architecture.md §3).
    static let serviceTopics = [
        "deploy.events", "deploy.rollbacks", "deploy.metrics", "postmortem.events",
        "postmortem.action-items", "deploy.postmortem.dlq",
    ]

    @Test("kcat -L lists the topics of a cluster set up like dev-broker's")
    func kcatListsTopics() async throws {
        let cluster = try MockCluster(
            brokers: 3, topics: Dictionary(uniqueKeysWithValues: Self.serviceTopics.map { ($0, 3) }))
        let listing = try await Self.run("/usr/bin/kcat", ["-b", cluster.bootstrapServers, "-L", "-m", "10"])
        #expect(listing.contains(" 3 brokers:"))
        for topic in Self.serviceTopics {
            #expect(listing.contains("topic \"\(topic)\" with 3 partitions:"), "missing \(topic) in:\n\(listing)")
        }
    }

    @Test(
        "the built dev-broker binary prints its bootstrap servers first, serves its topics, stops on SIGTERM",
        arguments: [[], ["--topic", "custom.a:2", "--topic", "custom.b:1"]])
    func devBrokerBinary(arguments: [String]) async throws {
        let (process, bootstrap) = try await Self.startDevBroker(["--brokers", "2"] + arguments)
        #expect(bootstrap.split(separator: ",").count == 2)
        let listing = try await Self.run("/usr/bin/kcat", ["-b", bootstrap, "-L", "-m", "10"])
        let expected =
            arguments.isEmpty
            ? Self.serviceTopics.map { "topic \"\($0)\" with 3 partitions:" }
            : ["topic \"custom.a\" with 2 partitions:", "topic \"custom.b\" with 1 partitions:"]
        for line in expected { #expect(listing.contains(line), "missing \(line) in:\n\(listing)") }
        process.terminate()
        let (reason, status) = await ChildProcess.exit(of: process)
        #expect(reason == .exit && status == 0)
    }

    /// The bootstrap line announces readiness, so SIGTERM may come right after it: the signal is
    /// already trapped then, and the broker stops cleanly (it used to die of the signal, status 15).
    @Test func sigtermRightAfterTheBootstrapLineIsAGracefulStop() async throws {
        for attempt in 1...20 {
            let (process, bootstrap) = try await Self.startDevBroker([])
            process.terminate()
            let (reason, status) = await ChildProcess.exit(of: process)
            #expect(!bootstrap.isEmpty && reason == .exit && status == 0, "attempt \(attempt): \(reason) \(status)")
        }
    }

    /// Starts the built `deploy-postmortem dev-broker` with `arguments` and reads its first line.
    static func startDevBroker(_ arguments: [String]) async throws -> (Process, bootstrap: String) {
        let process = Process()
        let output = Pipe()
        process.executableURL = BuiltProducts.executable("deploy-postmortem")
        process.arguments = ["dev-broker"] + arguments
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return (process, await ChildProcess.firstLine(of: output.fileHandleForReading))
    }

    /// Runs a program off the cooperative pool and returns its stdout; throws on a non-zero exit.
    static func run(_ path: String, _ arguments: [String]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            let process = Process()
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.standardOutput = output
            process.terminationHandler = { finished in
                let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                if finished.terminationStatus == 0 {
                    continuation.resume(returning: text)
                } else {
                    continuation.resume(
                        throwing: KafkaError(
                            kind: .client, message: "\(path) exited \(finished.terminationStatus): \(text)"))
                }
            }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
    }
}
