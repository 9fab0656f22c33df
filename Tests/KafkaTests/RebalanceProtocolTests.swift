import Testing

@testable import Kafka

/// The rebalance protocol the callback applies is read from the configured assignors, never
/// asked of librdkafka while the consumer may be closing (librdkafka #4041).
@Suite("Rebalance protocol from the configuration")
struct RebalanceProtocolTests {
    @Test(
        arguments: [
            (nil, false),
            ("range", false),
            ("roundrobin", false),
            ("range,roundrobin", false),
            ("cooperative-sticky", true),
            (" Cooperative-Sticky ", true),
            ("cooperative-sticky, ", true),
        ] as [(String?, Bool)])
    func cooperativeOnlyWithTheCooperativeAssignor(strategy: String?, cooperative: Bool) {
        let config = KafkaConfig(strategy.map { ["partition.assignment.strategy": $0] } ?? [:])
        #expect(Rebalance.isCooperative(config) == cooperative)
    }
}
