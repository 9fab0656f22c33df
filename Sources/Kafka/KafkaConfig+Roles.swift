extension KafkaConfig {
    /// librdkafka properties that only a consumer reads (a producer logs CONFWARN for each).
    static let consumerOnly: Set<String> = [
        "group.id", "group.instance.id", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
        "group.protocol.type", "partition.assignment.strategy", "coordinator.query.interval.ms",
        "enable.auto.commit", "auto.commit.interval.ms", "enable.auto.offset.store", "auto.offset.reset",
        "queued.min.messages", "queued.max.messages.kbytes", "fetch.wait.max.ms", "fetch.message.max.bytes",
        "fetch.max.bytes", "fetch.min.bytes", "fetch.error.backoff.ms", "isolation.level", "check.crcs",
        "enable.partition.eof", "offset.store.method", "consume.callback.max.messages",
    ]

    /// librdkafka properties that only a producer reads (a consumer logs CONFWARN for each).
    static let producerOnly: Set<String> = [
        "transactional.id", "transaction.timeout.ms", "enable.idempotence", "enable.gapless.guarantee",
        "queue.buffering.max.messages", "queue.buffering.max.kbytes", "queue.buffering.max.ms", "linger.ms",
        "message.send.max.retries", "retries", "queue.buffering.backpressure.threshold", "compression.codec",
        "compression.type", "compression.level", "batch.num.messages", "batch.size", "delivery.report.only.error",
        "sticky.partitioning.linger.ms", "acks", "request.required.acks", "request.timeout.ms", "message.timeout.ms",
        "delivery.timeout.ms", "partitioner", "max.in.flight.requests.per.connection", "max.in.flight",
    ]

    /// These settings without the producer-only ones: what a service that both consumes and
    /// produces with one set of `KAFKA_*` settings gives its consumer.
    public var forConsumer: KafkaConfig { KafkaConfig(properties.filter { !Self.producerOnly.contains($0.key) }) }

    /// These settings without the consumer-only ones, for the producer.
    public var forProducer: KafkaConfig { KafkaConfig(properties.filter { !Self.consumerOnly.contains($0.key) }) }
}
