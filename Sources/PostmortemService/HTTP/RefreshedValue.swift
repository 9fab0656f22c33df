/// A value computed at most once per `interval`, however many ask for it: a reader within the
/// interval gets the last value, and readers that arrive while it is being computed share that
/// one computation. What probes and scrapes read from the database goes through one, so a flood
/// of them costs the database one query a second at most.
actor RefreshedValue<Value: Sendable> {
    private let interval: Duration
    private let compute: @Sendable () async -> Value
    private var last: (at: ContinuousClock.Instant, value: Value)?
    private var computing: Task<Value, Never>?

    /// A value that `compute` refreshes at most once per `interval`.
    init(every interval: Duration, _ compute: @escaping @Sendable () async -> Value) {
        self.interval = interval
        self.compute = compute
    }

    /// The last value while it is younger than the interval, else a fresh one.
    func value() async -> Value {
        if let last, ContinuousClock.now - last.at < interval { return last.value }
        if let computing { return await computing.value }
        let task = Task { await compute() }
        computing = task
        let value = await task.value
        last = (ContinuousClock.now, value)
        computing = nil
        return value
    }
}
