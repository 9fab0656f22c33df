import Foundation
import Kafka
import Testing

@Suite("KafkaConfig")
struct KafkaConfigTests {
    @Test("environment variables map to librdkafka properties; _FILE reads secrets from files")
    func fromEnvironment() throws {
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-secret-\(UUID().uuidString)")
        try "s3cr3t\n".write(to: secret, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: secret) }
        let config = try KafkaConfig.fromEnvironment([
            "KAFKA_BOOTSTRAP_SERVERS": "a:9092,b:9092",
            "KAFKA_SSL_CA_LOCATION": "/etc/ca.pem",
            "KAFKA_SASL_PASSWORD": "ignored-because-file-wins",
            "KAFKA_SASL_PASSWORD_FILE": secret.path,
            "KAFKA_SOME__ODD_NAME": "x",
            "PATH": "/bin",
            "KAFKA_": "empty",
        ])
        #expect(
            config.properties == [
                "bootstrap.servers": "a:9092,b:9092",
                "ssl.ca.location": "/etc/ca.pem",
                "sasl.password": "s3cr3t",
                "some_odd.name": "x",
            ])
        #expect(config.bootstrapServers == "a:9092,b:9092")
        #expect(config.sslCALocation == "/etc/ca.pem")
        #expect(config.saslPassword == "s3cr3t")
    }

    @Test("an unreadable _FILE is a configuration error naming the property")
    func unreadableFile() {
        let error = #expect(throws: KafkaError.self) {
            try KafkaConfig.fromEnvironment(["KAFKA_SSL_KEY_PASSWORD_FILE": "/nonexistent/secret"])
        }
        #expect(error?.kind == .configuration)
        #expect(error?.property == "ssl.key.password")
    }

    @Test("description never shows secrets")
    func redaction() {
        var config = KafkaConfig(["ssl.key.pem": "-----BEGIN KEY", "sasl.oauthbearer.client.secret": "cl13nt-v4lue"])
        config.saslPassword = "hunter2"
        config.sslKeyPassword = "keypass"
        config.saslUsername = "svc"
        let text = config.description
        for secret in ["hunter2", "keypass", "BEGIN KEY", "cl13nt-v4lue"] { #expect(!text.contains(secret)) }
        #expect(text.contains("sasl.username=svc"))
        #expect(text.contains("sasl.password=***"))
    }

    @Test("an invalid property throws an error naming it")
    func invalidProperty() throws {
        try KafkaConfig(["bootstrap.servers": "localhost:9092", "linger.ms": "5"]).validate()
        let unknown = #expect(throws: KafkaError.self) { try KafkaConfig(["no.such.property": "1"]).validate() }
        #expect(unknown?.kind == .configuration)
        #expect(unknown?.property == "no.such.property")
        #expect(unknown?.message.contains("no.such.property") == true)
        let badValue = #expect(throws: KafkaError.self) {
            try KafkaProducer(config: KafkaConfig(["linger.ms": "soon"]))
        }
        #expect(badValue?.property == "linger.ms")
    }

    @Test("a consumer requires group.id")
    func consumerNeedsGroup() {
        let error = #expect(throws: KafkaError.self) { try KafkaConsumer(config: KafkaConfig(), topics: ["t"]) }
        #expect(error?.property == "group.id")
    }
}

@Suite("KafkaConfig roles")
struct KafkaConfigRoleTests {
    @Test func eachRoleKeepsSharedSettingsAndDropsTheOtherRolesOnes() {
        let shared = KafkaConfig([
            "bootstrap.servers": "b:9092", "security.protocol": "SASL_SSL", "sasl.password": "s",
            "group.id": "g", "session.timeout.ms": "6000", "linger.ms": "5", "enable.idempotence": "true",
        ])
        #expect(
            shared.forConsumer.properties == [
                "bootstrap.servers": "b:9092", "security.protocol": "SASL_SSL", "sasl.password": "s",
                "group.id": "g", "session.timeout.ms": "6000",
            ])
        #expect(
            shared.forProducer.properties == [
                "bootstrap.servers": "b:9092", "security.protocol": "SASL_SSL", "sasl.password": "s",
                "linger.ms": "5", "enable.idempotence": "true",
            ])
    }
}
