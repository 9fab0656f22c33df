import ArgumentParser

/// Release-mode benchmarks. They print their figures; nothing here is asserted.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy-postmortem-bench",
        abstract: "Performance benchmarks (run with `swift run -c release`).",
        subcommands: [
            PipelineBenchmark.self, CopyBenchmark.self, KafkaBenchCommand.self, AnalysisBenchmark.self,
            APIBenchmark.self, InsightsBenchmark.self, ChartBenchmark.self, UIBenchmark.self,
        ]
    )
}
