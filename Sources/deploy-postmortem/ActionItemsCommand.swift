import ArgumentParser
import Foundation
import PostmortemCore

/// `deploy-postmortem action-items`: lists and changes action items of a running service over its API.
struct ActionItemsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "action-items",
        abstract: "List and update the action items of a running service (/v1/action-items).",
        subcommands: [List.self, Update.self]
    )

    /// `action-items list`: one page of action items, by due date, as a table.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List action items by due date.")

        @OptionGroup var api: APIOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "Only items of this owner.")
        var owner: String?

        @Option(help: "Only items in this state.")
        var status: ActionItemStatus?

        @Flag(inversion: .prefixedNo, help: "Only overdue items (--overdue) or only items that are not (--no-overdue).")
        var overdue: Bool?

        @Option(name: .customLong("postmortem-id"), help: "Only the items of this postmortem.")
        var postmortemId: String?

        @OptionGroup var page: PageOptions

        /// Fetches one page and prints it as a table, or verbatim with `--json`.
        func run() async throws {
            try await api.withClient { client in
                let response = try await client.get(
                    "/v1/action-items",
                    query: [
                        ("owner", owner), ("status", status?.rawValue), ("overdue", overdue.map { String($0) }),
                        ("postmortemId", postmortemId),
                    ] + page.query)
                guard !output.printedVerbatim(response) else { return }
                try response.decode(Page<ActionItemResource>.self)
                    .printTable(columns: ActionItemResource.columns, none: "no action items found", row: \.cells)
            }
        }
    }

    /// `action-items update`: changes an item's owner, status, due date or evidence (PATCH).
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an action item (needs a write token).",
            discussion: """
                Status moves: open → in_progress; open or in_progress → done or cancelled; done or \
                cancelled → open. With --if-match the change is made only if the item is still at that version.
                """
        )

        @OptionGroup var api: APIOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The action item's id (the ID column of 'action-items list').")
        var id: String

        @Option(help: "New owner.")
        var owner: String?

        @Option(help: "New state.")
        var status: ActionItemStatus?

        @Option(help: "New due date (RFC 3339).")
        var due: String?

        @Option(name: .customLong("evidence-url"), help: "Link to the evidence that the item is done (http or https).")
        var evidenceURL: String?

        @Option(
            name: .customLong("if-match"),
            help: ArgumentHelp("Only change the item if it is still at this version.", valueName: "version"))
        var ifMatch: Int?

        /// The members of the PATCH body: only what was given.
        var changes: [String: String] {
            ["owner": owner, "status": status?.rawValue, "dueAt": due, "evidenceUrl": evidenceURL].compactMapValues {
                $0
            }
        }

        /// Requires at least one change and a well-formed `--due`.
        func validate() throws {
            guard !changes.isEmpty else {
                throw ValidationError("nothing to change: give --owner, --status, --due or --evidence-url")
            }
            try validateRFC3339(due, option: "--due")
        }

        /// Sends the PATCH and prints the updated item and its new version (or the body with `--json`).
        func run() async throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body = try encoder.encode(changes)
            try await api.withClient { client in
                let response = try await client.patch(
                    "/v1/action-items/\(APIClient.encoded(id))", json: body, ifMatch: ifMatch.map { "\"\($0)\"" })
                guard !output.printedVerbatim(response) else { return }
                let item = try response.decode(ActionItemResource.self)
                print(TextTable(columns: ActionItemResource.columns, rows: [item.cells]).rendered, terminator: "")
                print("version \(item.version) (pass --if-match \(item.version) to make the next change conditional)")
            }
        }
    }
}

/// An action item as the API returns it (the members the table shows).
struct ActionItemResource: Decodable {
    let id: String
    let status: String
    let owner: String
    let dueAt: String
    let overdue: Bool
    let kind: String
    let title: String
    let version: Int
    /// Its follow-up verdict; nil when its fix changes no gate.
    let followUp: FollowUp?

    /// The members of `followUp` the table shows.
    struct FollowUp: Decodable {
        /// `verified_effective`, `regressed` or `pending`.
        let verdict: String
        /// The deploy that decided it (nil while pending).
        let deployId: String?
    }

    /// The table's column titles.
    static let columns = ["ID", "STATUS", "OWNER", "DUE", "KIND", "FOLLOW-UP", "TITLE"]

    /// The item's cells under ``columns``: overdue due dates are marked, the follow-up verdict
    /// with the deploy that decided it (`effective:<deploy>`, `regressed:<deploy>`, `pending`;
    /// `-` when no deploy can judge the item), long titles cut.
    var cells: [String] {
        let verdict =
            switch (followUp?.verdict, followUp?.deployId) {
            case (nil, _): "-"
            case ("verified_effective", let deploy?): "effective:\(deploy)"
            case (let verdict?, let deploy?): "\(verdict):\(deploy)"
            case (let verdict?, nil): verdict
            }
        return [
            id, status, owner, overdue ? "\(dueAt) OVERDUE" : dueAt, kind, verdict, TextTable.truncated(title, to: 60),
        ]
    }
}
