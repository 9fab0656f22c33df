import ArgumentParser
import PostmortemService

/// The `deploy-postmortem` command line: one executable, one subcommand per job.
@main
struct DeployPostmortem: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy-postmortem",
        abstract: "Turns every failed deploy into a postmortem.",
        version: ProductVersion.current,
        subcommands: [
            ServeCommand.self, DemoCommand.self, MigrateCommand.self, AnalyzeCommand.self, DevBrokerCommand.self,
            PostmortemsCommand.self, ActionItemsCommand.self, InsightsCommand.self, ConfigCommand.self,
        ]
    )
}
