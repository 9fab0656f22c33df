extension Duration {
    /// Whole milliseconds, clamped to `Int32` (librdkafka's timeout type).
    var milliseconds: Int32 {
        Int32(clamping: components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}
