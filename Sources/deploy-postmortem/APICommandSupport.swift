import ArgumentParser
import Foundation
import PostmortemCore

/// Where the API is: `--url`, else `DEPLOY_POSTMORTEM_URL`, else the local default. Shared by
/// every API command.
struct APIOptions: ParsableArguments {
    /// The environment variable naming the server when `--url` is not given.
    static let urlVariable = "DEPLOY_POSTMORTEM_URL"
    /// The server when neither `--url` nor the variable says otherwise.
    static let defaultURL = "http://127.0.0.1:8080"

    @Option(
        help:
            "Base URL of the service (default: \(urlVariable), else \(defaultURL)). The token is read from \(APIClient.tokenVariable)."
    )
    var url: String?

    /// The server's base URL, from the flag, the environment or the default.
    var resolvedURL: String {
        url ?? ProcessInfo.processInfo.environment[Self.urlVariable].flatMap { $0.isEmpty ? nil : $0 }
            ?? Self.defaultURL
    }

    /// Rejects a base URL that is not http(s) with a host, or that carries a query.
    func validate() throws {
        guard let components = URLComponents(string: resolvedURL),
            ["http", "https"].contains(components.scheme?.lowercased()),
            components.host?.isEmpty == false, components.query == nil
        else { throw ValidationError("--url: expected an http or https base URL, got \"\(resolvedURL)\"") }
    }

    /// Runs `body` with a client of the server. An ``APIClientError`` (including a missing token) is
    /// printed as `error: …` on standard error and ends the command with exit status 1.
    func withClient(_ body: (APIClient) async throws -> Void) async throws {
        do {
            try await body(try APIClient(baseURL: resolvedURL))
        } catch let error as APIClientError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// `--json`: the server's JSON body verbatim instead of a table.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print the server's JSON body verbatim instead of a table.")
    var json = false

    /// Prints `response` verbatim when `--json` was given; otherwise returns false and prints nothing.
    func printedVerbatim(_ response: APIResponse) -> Bool {
        guard json else { return false }
        printBody(response)
        return true
    }
}

/// `--limit` and `--cursor` of the list commands.
struct PageOptions: ParsableArguments {
    @Option(help: "Entries per page, 1 to 200 (server default 50).")
    var limit: Int?

    @Option(help: "The page to read: the cursor printed after the previous page.")
    var cursor: String?

    /// Checks `--limit` before any request.
    func validate() throws {
        try validateLimit(limit)
    }

    /// The query members that select the page.
    var query: [(name: String, value: String?)] { [("limit", limit.map(String.init)), ("cursor", cursor)] }
}

/// Prints a response body as received, ending with exactly the newline it has or one added.
func printBody(_ response: APIResponse) {
    let text = response.text
    print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
}

/// One page of a list operation: `{"items":[…],"nextCursor":…}`.
struct Page<Item: Decodable>: Decodable {
    /// The items of this page.
    let items: [Item]
    /// The cursor of the next page; nil on the last one.
    let nextCursor: String?

    /// Prints the items as a table under `columns` (or `none` when there are none) and, when
    /// there is a next page, a last line saying how to get it.
    func printTable(columns: [String], none: String, row: (Item) -> [String]) {
        if items.isEmpty {
            print(none)
        } else {
            print(TextTable(columns: columns, rows: items.map(row)).rendered, terminator: "")
        }
        if let nextCursor { print("more: repeat the command with --cursor \(shellQuoted(nextCursor))") }
    }

    /// `text` as one shell word: unchanged when it is plain, single-quoted otherwise.
    private func shellQuoted(_ text: String) -> String {
        let plain =
            !text.isEmpty
            && text.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || "-_.=/+:".unicodeScalars.contains($0)
            }
        return plain ? text : "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

/// A plain-text table: left-aligned columns separated by two spaces, one line per row.
struct TextTable {
    /// Column titles.
    let columns: [String]
    /// Cells, one array per row, as many as there are columns.
    let rows: [[String]]

    /// The table with a header line, each line ending in a newline; the last column is not padded.
    var rendered: String {
        let lines = [columns] + rows
        let widths = columns.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        return lines.map { cells in
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ") + "\n"
        }.joined()
    }

    /// `text` cut to at most `length` characters, with an ellipsis when it was longer.
    static func truncated(_ text: String, to length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }
}

/// Fails validation, naming `option`, unless `text` (when given) is an RFC 3339 time.
func validateRFC3339(_ text: String?, option: String) throws {
    guard let text, RFC3339.parse(text) == nil else { return }
    throw ValidationError("\(option): expected an RFC 3339 time such as 2026-11-26T10:35:00Z, got \"\(text)\"")
}

/// Fails validation unless `limit` (when given) is within the API's page size bounds.
func validateLimit(_ limit: Int?) throws {
    guard let limit, !(1...200).contains(limit) else { return }
    throw ValidationError("--limit: expected 1 to 200, got \(limit)")
}

extension PostmortemStatus: ExpressibleByArgument {}
extension ActionItemStatus: ExpressibleByArgument {}
