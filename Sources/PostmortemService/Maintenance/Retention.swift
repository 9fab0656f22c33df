import Foundation

/// How long stored data is kept (`RETENTION_*_DAYS`; 0 keeps it forever). Postmortems, their
/// action items, their deploys' events and the metric points their analysis reads are the record
/// and are never deleted; neither are unsent outbox rows, queued analysis work, nor events that
/// wait for attribution. See docs/operations.md, "Data lifecycle".
public struct Retention: Sendable, Equatable {
    /// Days metric points are kept (`RETENTION_METRIC_SAMPLES_DAYS`); whole monthly partitions
    /// are dropped once their last day is this old, the points inside postmortems' analysis
    /// windows moved out first. 0 keeps them forever.
    public var metricSamplesDays = 90
    /// Days the events and `deploys` rows of deploys without a postmortem are kept
    /// (`RETENTION_DEPLOY_EVENTS_DAYS`), counted from the deploy's start and its latest event;
    /// also unattributed events. 0 keeps them forever.
    public var deployEventsDays = 90
    /// Days published outbox rows are kept after they were sent (`RETENTION_OUTBOX_SENT_DAYS`).
    /// 0 keeps them forever.
    public var sentOutboxDays = 30

    /// The defaults: 90 days of metric points and of deploys without a postmortem, 30 days of
    /// published outbox rows.
    public init() {}

    /// Keeps everything forever.
    public static let forever: Retention = {
        var retention = Retention()
        retention.metricSamplesDays = 0
        retention.deployEventsDays = 0
        retention.sentOutboxDays = 0
        return retention
    }()

    /// The instant `days` before `now`, before which data is expired; nil when `days` is 0.
    static func cutoff(days: Int, before now: Date) -> Date? {
        days > 0 ? now.addingTimeInterval(-Double(days) * 86_400) : nil
    }
}
