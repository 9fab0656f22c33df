/// Messages with one identity (source + id) but different content, and how they were resolved,
/// by a rule that does not depend on their order (docs/architecture.md, "Conflicting duplicates").
public struct ConflictingDuplicate: Sendable, Hashable {
    /// How the copies were reconciled.
    public enum Resolution: String, Sendable, Hashable {
        /// A deploy-side event: the copy with the smallest ``DecodedEvent/contentDigest`` is the
        /// event; the others are dropped.
        case smallestDigestKept = "smallest content digest kept"
        /// A `metric.sampled` event: every copy's points are kept, and points of one series at one
        /// timestamp are reconciled point by point (the worst in the metric's bad direction).
        case pointsMerged = "points merged"
    }

    /// The identity they share.
    public var key: EventKey
    /// Content digest of the copy kept (for merged metric events, the smallest).
    public var kept: String
    /// Content digests of the other copies, sorted.
    public var others: [String]
    /// What became of the others.
    public var resolution: Resolution

    /// Creates a record of one identity seen with different contents.
    public init(key: EventKey, kept: String, others: [String], resolution: Resolution) {
        self.key = key
        self.kept = kept
        self.others = others
        self.resolution = resolution
    }

    /// Resolves the duplicates among `items` whatever their order: one item per identity of a
    /// deploy-side event (the one whose event has the smallest content digest) and one per
    /// distinct content of a metric event; exact copies collapse to one. Returns the items kept,
    /// sorted by key then digest, and every identity seen with different contents, sorted by key.
    public static func resolve<Item>(
        _ items: [Item], event: (Item) -> DecodedEvent
    ) -> (kept: [Item], conflicts: [ConflictingDuplicate]) {
        let sorted = items.sorted {
            (event($0).key, event($0).contentDigest) < (event($1).key, event($1).contentDigest)
        }
        var kept: [Item] = []
        var conflicts: [ConflictingDuplicate] = []
        var start = sorted.startIndex
        while start < sorted.endIndex {
            let key = event(sorted[start]).key
            var end = start
            while end < sorted.endIndex, event(sorted[end]).key == key { end += 1 }
            var digests: [String] = []  // distinct, ascending
            var keptDeploySide = false
            var merged = false
            for item in sorted[start..<end] where digests.last != event(item).contentDigest {
                digests.append(event(item).contentDigest)
                if case .metricSampled = event(item).event {
                    kept.append(item)
                    merged = true
                } else if !keptDeploySide {
                    kept.append(item)
                    keptDeploySide = true
                }
            }
            if digests.count > 1 {
                conflicts.append(
                    ConflictingDuplicate(
                        key: key, kept: digests[0], others: Array(digests.dropFirst()),
                        resolution: merged ? .pointsMerged : .smallestDigestKept))
            }
            start = end
        }
        return (kept, conflicts)
    }
}
