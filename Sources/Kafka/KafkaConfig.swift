/// Configuration of a Kafka client: any librdkafka property, with typed accessors for the ones
/// the service commonly sets.
///
/// Every typed accessor reads and writes the same ``properties`` dictionary, so a property set
/// through ``KafkaConfig/fromEnvironment(_:)`` or ``subscript(_:)`` is the one the typed accessor
/// shows. Properties are validated by librdkafka when a client is created (or by ``validate()``):
/// an unknown property or a bad value throws a ``KafkaError`` of kind
/// ``KafkaError/Kind/configuration`` naming the property.
///
/// ``description`` never shows secret values (see ``isSecret(_:)``).
public struct KafkaConfig: Sendable, Equatable, CustomStringConvertible {
    /// librdkafka properties by name (e.g. `bootstrap.servers`), passed through verbatim.
    public var properties: [String: String]

    /// Creates a configuration from librdkafka properties.
    public init(_ properties: [String: String] = [:]) {
        self.properties = properties
    }

    /// Reads or writes any librdkafka property; `nil` removes it.
    public subscript(_ name: String) -> String? {
        get { properties[name] }
        set { properties[name] = newValue }
    }

    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String? {
        get { self["bootstrap.servers"] }
        set { self["bootstrap.servers"] = newValue }
    }

    /// `group.id`: consumer group (required by ``KafkaConsumer``).
    public var groupID: String? {
        get { self["group.id"] }
        set { self["group.id"] = newValue }
    }

    /// `client.id`: client identifier reported to brokers.
    public var clientID: String? {
        get { self["client.id"] }
        set { self["client.id"] = newValue }
    }

    /// `security.protocol`: `plaintext`, `ssl`, `sasl_plaintext` or `sasl_ssl`.
    public var securityProtocol: String? {
        get { self["security.protocol"] }
        set { self["security.protocol"] = newValue }
    }

    /// `sasl.mechanism`: e.g. `PLAIN`, `SCRAM-SHA-512`, `OAUTHBEARER`.
    public var saslMechanism: String? {
        get { self["sasl.mechanism"] }
        set { self["sasl.mechanism"] = newValue }
    }

    /// `sasl.username`.
    public var saslUsername: String? {
        get { self["sasl.username"] }
        set { self["sasl.username"] = newValue }
    }

    /// `sasl.password` (secret: never logged or described).
    public var saslPassword: String? {
        get { self["sasl.password"] }
        set { self["sasl.password"] = newValue }
    }

    /// `ssl.ca.location`: CA certificate file or directory.
    public var sslCALocation: String? {
        get { self["ssl.ca.location"] }
        set { self["ssl.ca.location"] = newValue }
    }

    /// `ssl.certificate.location`: client certificate (PEM).
    public var sslCertificateLocation: String? {
        get { self["ssl.certificate.location"] }
        set { self["ssl.certificate.location"] = newValue }
    }

    /// `ssl.key.location`: client private key (PEM).
    public var sslKeyLocation: String? {
        get { self["ssl.key.location"] }
        set { self["ssl.key.location"] = newValue }
    }

    /// `ssl.key.password` (secret: never logged or described).
    public var sslKeyPassword: String? {
        get { self["ssl.key.password"] }
        set { self["ssl.key.password"] = newValue }
    }

    /// Returns a copy with `other`'s properties set on top of these.
    public func merging(_ other: [String: String]) -> KafkaConfig {
        KafkaConfig(properties.merging(other) { _, new in new })
    }

    /// Whether a property holds a secret whose value must never be logged: any name containing
    /// `password` or `secret`, plus `ssl.key.pem`, `ssl_key.pem` and `sasl.oauthbearer.config`.
    public static func isSecret(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered.contains("password") || lowered.contains("secret")
            || ["ssl.key.pem", "ssl_key.pem", "sasl.oauthbearer.config"].contains(lowered)
    }

    /// The properties sorted by name, secret values replaced by `***`.
    public var description: String {
        let shown = properties.keys.sorted().map { name in
            "\(name)=\(Self.isSecret(name) ? "***" : properties[name] ?? "")"
        }
        return "KafkaConfig(" + shown.joined(separator: ", ") + ")"
    }

    /// Checks every property against librdkafka without creating a client.
    /// - Throws: ``KafkaError`` of kind ``KafkaError/Kind/configuration`` naming the first bad property.
    public func validate() throws {
        try NativeConfig(self).discard()
    }
}
