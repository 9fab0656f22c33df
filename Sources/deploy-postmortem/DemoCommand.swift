import ArgumentParser
import DemoScenarios
import Foundation
import Kafka
import LocalPostgres
import Logging
import Postgres
import PostmortemCore
import PostmortemService

/// `deploy-postmortem demo`: the whole product on a local stack. Starts a throwaway PostgreSQL
/// and the mock Kafka cluster (and, when it is installed, a throwaway Prometheus holding the
/// metrics of a sixth story: ``DemoPrometheusStory``), runs the service, plays the deploy stories, prints every
/// postmortem it opened as Markdown and the action-item events read back from the bus, then
/// stops everything (or keeps running with `--keep-running`).
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the service on a throwaway local stack with a realistic scenario."
    )

    @Flag(help: "Keep the stack and the service running after the demo (Ctrl-C stops it).")
    var keepRunning = false

    @Option(help: "Seconds to wait for the postmortems before giving up.")
    var timeout = 120

    func run() async throws {
        LogSetup.bootstrap(
            environment: ProcessInfo.processInfo.environment.merging(["LOG_LEVEL": "warning"]) { old, _ in old })
        let logger = Logger(label: "deploy-postmortem.demo")

        say("Starting a throwaway PostgreSQL…")
        let database = try LocalPostgresCluster.start()
        defer { database.stop() }
        let databaseURL = try database.createDatabase("deploy_postmortem")
        try await DatabaseSchema.migrate(PostgresConfiguration(connectionString: databaseURL))

        let topics = ServiceConfiguration.Topics()
        let broker = try MockCluster(
            topics: topics.all(partitions: 3))
        defer { broker.shutdown() }
        say("PostgreSQL: \(databaseURL)\nKafka (mock cluster): \(broker.bootstrapServers)")

        var configuration = ServiceConfiguration(
            database: PostgresConfiguration(connectionString: databaseURL),
            kafka: KafkaConfig([
                "bootstrap.servers": broker.bootstrapServers, "group.id": "deploy-postmortem",
                "session.timeout.ms": "6000", "heartbeat.interval.ms": "500", "linger.ms": "1",
            ]))
        configuration.database.poolSize = 4
        configuration.http.port = keepRunning ? 8080 : nil
        // A throwaway write token for this local stack only, shown once so the API and the CLI can be tried.
        let demoToken = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        if keepRunning { configuration.api.tokens = try APITokens(parsing: "demo:write:\(demoToken)") }
        let now = Date()
        var scenarios = DemoScenarios.all(endingAt: now)
        let prometheusStory = try DemoPrometheusStory.make(endingAt: now)
        defer { prometheusStory?.prometheus.remove() }
        if let story = prometheusStory {
            say("Starting a throwaway Prometheus holding the metrics of one more story…")
            try story.prometheus.start()
            configuration.prometheusSource = try story.sourceConfiguration()
            scenarios.append(story.scenario)
            say("Prometheus: \(story.prometheus.url), queried with this PROMETHEUS_SOURCE_FILE:\n\(story.sourceFile)")
        } else {
            say(
                "(prometheus is not installed, so the story that reads its metrics from Prometheus is left out: apt-get install prometheus)"
            )
        }
        let server = try PostmortemServer(configuration: configuration, logger: logger)
        let service = Task { try await server.run(handlesSignals: keepRunning) }

        say("Playing \(scenarios.count) deploy stories:")
        for scenario in scenarios { say("  • \(scenario.name): \(scenario.summary)") }
        try await produce(scenarios, to: broker, topics: topics)

        let expected = scenarios.filter(\.opensPostmortem).count
        try await waitFor("\(expected) postmortems published", seconds: timeout) {
            let published = try await server.reader.deployIDs()
            guard published.count == expected else { return false }
            // With a Prometheus source, each postmortem opens with its metrics pending and is updated when they arrive.
            for deployId in published
            where try await server.reader.postmortem(ofDeploy: deployId)?.pendingMetrics.isEmpty == false {
                return false
            }
            return try await server.relay.backlog().count == 0
        }
        let actionItemEvents = try await server.relay.events(onTopic: topics.actionItems)

        for deployId in try await server.reader.deployIDs() {
            guard let postmortem = try await server.reader.postmortem(ofDeploy: deployId) else { continue }
            say("\n" + String(repeating: "─", count: 100) + "\n")
            say(MarkdownRenderer().render(postmortem))
        }

        say("\n" + String(repeating: "─", count: 100))
        say("Action-item events read back from \(topics.actionItems):\n")
        for message in try await readBack(topics.actionItems, count: actionItemEvents, from: broker) {
            say(describe(message))
        }

        if keepRunning {
            say(
                "\nStill running. PostgreSQL: \(databaseURL)  Kafka: \(broker.bootstrapServers)  (Ctrl-C stops everything)"
            )
            say(
                """
                API on http://127.0.0.1:8080 with a throwaway write token for this demo stack:
                  export DEPLOY_POSTMORTEM_TOKEN=\(demoToken)
                  deploy-postmortem postmortems list
                  deploy-postmortem action-items list --status open
                  deploy-postmortem action-items update <id> --status done --evidence-url https://git.example/commit/1
                """)
            try await service.value
        } else {
            service.cancel()
            _ = await service.result
            say("\nDemo finished; the stack is stopped.")
        }
    }

    private func produce(
        _ scenarios: [DemoScenarios.Scenario], to broker: MockCluster, topics: ServiceConfiguration.Topics
    ) async throws {
        let producer = try KafkaProducer(
            config: KafkaConfig(["bootstrap.servers": broker.bootstrapServers, "linger.ms": "1"]))
        let records = scenarios.flatMap { scenario in
            zip(scenario.events, scenario.topicOfEach).map { event, topic in
                KafkaRecord(
                    topic: topics.input(forRole: topic), key: Array(scenario.deployId.utf8), value: Array(event.utf8))
            }
        }
        for outcome in await producer.send(records) { _ = try outcome.get() }
        await producer.close()
    }

    private func readBack(_ topic: String, count: Int, from broker: MockCluster) async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            config: KafkaConfig([
                "bootstrap.servers": broker.bootstrapServers, "group.id": "demo-reader",
                "auto.offset.reset": "earliest",
            ]),
            topics: [topic])
        var messages: [KafkaMessage] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while messages.count < count, ContinuousClock.now < deadline {
            messages += try await consumer.poll(maxMessages: 500, maxWait: .milliseconds(200))
        }
        await consumer.close()
        return messages
    }

    /// One line per action-item event: type, owner, due date and title.
    private func describe(_ message: KafkaMessage) -> String {
        guard let event = try? JSONSerialization.jsonObject(with: Data(message.value)) as? [String: Any],
            let data = event["data"] as? [String: Any]
        else { return String(decoding: message.value, as: UTF8.self) }
        let type = (event["type"] as? String ?? "").replacingOccurrences(of: "io.deploypostmortem.", with: "")
        let field = { (name: String) in data[name] as? String ?? "-" }
        return
            "\(type)  deploy=\(field("deployId"))  kind=\(field("kind"))  owner=\(field("owner"))  due=\(field("dueAt"))\n    \(field("title"))"
    }

    private func waitFor(_ what: String, seconds: Int, until condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                throw ValidationError("timed out after \(seconds) s waiting for \(what)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    private func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
