import ArgumentParser
import Foundation
import PostmortemCore

/// `deploy-postmortem postmortems`: reads postmortems from a running service over its API.
struct PostmortemsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postmortems",
        abstract: "List and show the postmortems of a running service (GET /v1/postmortems).",
        subcommands: [List.self, Show.self]
    )

    /// `postmortems list`: one page of postmortems, newest first, as a table.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List postmortems, newest first.")

        @OptionGroup var api: APIOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Only postmortems of this service.")
        var service: String?

        @Option(help: "Only postmortems of this environment.")
        var environment: String?

        @Option(help: "Only open or only closed postmortems.")
        var status: PostmortemStatus?

        @Option(name: .customLong("deploy-id"), help: "Only the postmortem of this deploy.")
        var deployId: String?

        @Option(help: "Only postmortems opened at or after this RFC 3339 time.")
        var since: String?

        @OptionGroup var page: PageOptions

        /// Checks `--since` before any request.
        func validate() throws {
            try validateRFC3339(since, option: "--since")
        }

        /// Fetches one page and prints it as a table, or verbatim with `--json`.
        func run() async throws {
            try await api.withClient { client in
                let response = try await client.get(
                    "/v1/postmortems",
                    query: [
                        ("service", service), ("environment", environment), ("status", status?.rawValue),
                        ("deployId", deployId),
                        ("since", since),
                    ] + page.query)
                guard !output.printedVerbatim(response) else { return }
                try response.decode(Page<PostmortemSummary>.self).printTable(
                    columns: ["ID", "DEPLOY", "SERVICE", "ENV", "SEVERITY", "STATUS", "ITEMS", "OPENED"],
                    none: "no postmortems found"
                ) { p in
                    [
                        p.id, p.deployId, p.service, p.environment, p.severity, p.status,
                        "\(p.openActionItems)/\(p.totalActionItems)", p.openedAt,
                    ]
                }
            }
        }
    }

    /// `postmortems show`: one postmortem, as Markdown or as the API's JSON document.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one postmortem as Markdown or JSON.")

        /// What `show` prints.
        enum Format: String, ExpressibleByArgument, CaseIterable {
            /// The rendering of `GET /v1/postmortems/{id}.md`.
            case markdown
            /// The document of `GET /v1/postmortems/{id}`.
            case json
        }

        @OptionGroup var api: APIOptions

        @Argument(help: "The postmortem's id (the ID column of 'postmortems list').")
        var id: String

        @Option(help: "Output format: markdown or json.")
        var format: Format = .markdown

        /// Prints the rendering or the document exactly as the server sent it.
        func run() async throws {
            try await api.withClient { client in
                let path = "/v1/postmortems/\(APIClient.encoded(id))"
                switch format {
                case .markdown: printBody(try await client.get(path + ".md", accept: "text/markdown"))
                case .json: printBody(try await client.get(path))
                }
            }
        }
    }
}

/// A postmortem as the list operation returns it (the members the table shows).
struct PostmortemSummary: Decodable {
    let id: String
    let deployId: String
    let service: String
    let environment: String
    let severity: String
    let status: String
    let openedAt: String
    let openActionItems: Int
    let totalActionItems: Int
}
