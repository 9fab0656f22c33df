import ArgumentParser
import Foundation
import Kafka
import Logging

/// `deploy-postmortem-bench kafka`: consumer throughput of ``KafkaConsumer`` against `kcat -C -e`
/// on the same mock-cluster topic in the same run. Build with `-c release`; numbers are printed,
/// not asserted.
struct KafkaBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Benchmark KafkaConsumer against kcat on a mock cluster (run a release build)."
    )

    @Option(help: "Messages to produce and consume.")
    var messages = 1_000_000

    @Option(help: "Value size in bytes.")
    var size = 300

    /// The mock broker keeps only ~5 MB per partition (older messages are dropped), so 1M × 300 B
    /// needs more than 60 partitions to keep everything.
    @Option(help: "Partitions of the benchmark topic (the mock keeps ~5 MB per partition).")
    var partitions = 128

    @Option(help: "Maximum messages per KafkaConsumer poll.")
    var batch = 10_000

    @Option(help: "Rounds of (kcat, KafkaConsumer) over the same data; the best of each is compared.")
    var rounds = 3

    @Option(help: "Path of kcat.")
    var kcat = "/usr/bin/kcat"

    func run() async throws {
        var logger = Logger(label: "bench-kafka")
        logger.logLevel = .error
        let topic = "bench"
        let cluster = try MockCluster(brokers: 1, topics: [topic: partitions])
        let base = KafkaConfig(["bootstrap.servers": cluster.bootstrapServers])

        let produced = try await measure { try await produce(base, topic: topic, logger: logger) }
        report("produce (KafkaProducer)", count: messages, seconds: produced)
        var ours: [Double] = []
        var theirs: [Double] = []
        for round in 1...rounds {
            // Alternate so neither reader always goes first on a busy machine.
            theirs.append(try await measure { try await runKcat(cluster.bootstrapServers, topic: topic) })
            report("round \(round) consume (kcat -C -e)", count: messages, seconds: theirs[theirs.count - 1])
            var firstToLast = 0.0
            let withJoin = try await measure {
                firstToLast = try await consume(base, group: "bench-\(round)", topic: topic, logger: logger)
            }
            ours.append(firstToLast)
            report(
                "round \(round) consume (KafkaConsumer, incl. ~3 s mock group join)", count: messages, seconds: withJoin
            )
            report(
                "round \(round) consume (KafkaConsumer, first to last message)", count: messages, seconds: firstToLast)
        }
        let best = (ours: ours.min() ?? 0, theirs: theirs.min() ?? 0)
        report("best KafkaConsumer", count: messages, seconds: best.ours)
        report("best kcat -C -e", count: messages, seconds: best.theirs)
        print(String(format: "ratio KafkaConsumer/kcat throughput (best of %d): %.2f", rounds, best.theirs / best.ours))
        cluster.shutdown()
    }

    private func produce(_ base: KafkaConfig, topic: String, logger: Logger) async throws {
        let producer = try KafkaProducer(
            config: base.merging(["linger.ms": "5", "batch.num.messages": "10000"]), logger: logger)
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        var sent = 0
        while sent < messages {
            let chunk = (sent..<min(messages, sent + 10_000)).map {
                KafkaRecord(topic: topic, key: Array("key-\($0 % 1000)".utf8), value: value)
            }
            for outcome in await producer.send(chunk) { _ = try outcome.get() }
            sent += chunk.count
        }
        await producer.close()
    }

    /// Consumes everything; returns the seconds from the first to the last message.
    private func consume(_ base: KafkaConfig, group: String, topic: String, logger: Logger) async throws -> Double {
        let consumer = try KafkaConsumer(config: base.merging(["group.id": group]), topics: [topic], logger: logger)
        var received = 0
        var bytes = 0
        var first: ContinuousClock.Instant?
        while received < messages {
            let batch = try await consumer.poll(maxMessages: batch, maxWait: .milliseconds(100))
            if first == nil, !batch.isEmpty { first = .now }
            for message in batch { bytes &+= message.value.count }
            received += batch.count
            try consumer.markProcessed(batch)
        }
        let elapsed = ContinuousClock.now - (first ?? .now)
        await consumer.close()
        guard bytes == messages * size else {
            throw ValidationError("consumed \(bytes) bytes, expected \(messages * size)")
        }
        return seconds(elapsed)
    }

    private func runKcat(_ bootstrap: String, topic: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kcat)
        process.arguments = ["-C", "-e", "-q", "-b", bootstrap, "-t", topic, "-o", "beginning"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        guard status == 0 else { throw ValidationError("kcat exited with \(status)") }
    }

    private func measure(_ body: () async throws -> Void) async throws -> Double {
        let start = ContinuousClock.now
        try await body()
        return seconds(ContinuousClock.now - start)
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func report(_ label: String, count: Int, seconds: Double) {
        print(String(format: "%@: %d messages in %.2f s = %.0f msgs/s", label, count, seconds, Double(count) / seconds))
    }
}
