import ArgumentParser
import Foundation
import PostmortemCore

/// `deploy-postmortem analyze`: reads JSON-lines events (any accepted format) and prints the
/// postmortems they would open. Offline: no Kafka, no database.
struct AnalyzeCommand: ParsableCommand {
    /// Output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case markdown
        case json
    }

    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Print the postmortems a file of events would open (JSON lines, '-' for stdin)."
    )

    @Argument(help: "JSON-lines file of events, or '-' for standard input.")
    var input: String

    @Option(help: "Output format: markdown or json.")
    var format: Format = .markdown

    @Option(help: "Reference time (RFC 3339) for rejecting future timestamps; default: now.")
    var now: String?

    func run() throws {
        let clock =
            try now.map { text in
                guard let date = RFC3339.parse(text) else {
                    throw ValidationError("--now: expected RFC 3339 time, got \"\(text)\"")
                }
                return date
            } ?? Date()
        let data: Data
        do {
            data = try Self.contents(of: input == "-" ? nil : input)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let decoder = EventDecoder()
        var events: [DecodedEvent] = []
        var failures = 0
        for (number, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard
                line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }
                )
            else { continue }
            do {
                events.append(try decoder.decode(json: Array(line), now: clock))
            } catch  where error.isIgnored {
                FileHandle.standardError.write(Data("line \(number + 1): ignored: \(error)\n".utf8))
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("line \(number + 1): \(error)\n".utf8))
            }
        }
        let report = BatchAnalysis().run(events)
        for event in report.unattributed {
            FileHandle.standardError.write(
                Data("unattributed \(event.key.source) \(event.key.id): \(event.reason)\n".utf8))
        }
        for conflict in report.conflicts {
            FileHandle.standardError.write(
                Data(
                    ("conflicting duplicate \(conflict.key.source) \(conflict.key.id): contents \(conflict.kept.prefix(12)), "
                        + "\(conflict.others.map { String($0.prefix(12)) }.joined(separator: ", ")): \(conflict.resolution.rawValue)\n")
                        .utf8))
        }
        print(render(report.postmortems), terminator: "")
        if failures > 0 { throw ExitCode(2) }
    }

    /// A file that cannot be read, worded as the system says why (`cannot read x: No such file or directory`).
    struct UnreadableInput: Error, CustomStringConvertible {
        let path: String
        let code: Int32
        var description: String { "cannot read \(path): \(String(cString: strerror(code)))" }
    }

    /// Every byte of the file at `path`, or of standard input when `path` is nil.
    static func contents(of path: String?) throws(UnreadableInput) -> Data {
        let descriptor = path.map { open($0, O_RDONLY) } ?? STDIN_FILENO
        guard descriptor >= 0 else { throw UnreadableInput(path: path ?? "-", code: errno) }
        defer { if path != nil { close(descriptor) } }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            if count == 0 { return data }
            if count < 0 {
                if errno == EINTR { continue }
                throw UnreadableInput(path: path ?? "-", code: errno)
            }
            data.append(buffer, count: count)
        }
    }

    private func render(_ postmortems: [Postmortem]) -> String {
        switch format {
        case .markdown:
            let renderer = MarkdownRenderer()
            return postmortems.map(renderer.render).joined(separator: "\n---\n\n")
        case .json:
            let items = postmortems.map { p -> JSONValue in
                guard case .object(var fields) = p.json else { return p.json }
                fields["actionItems"] = .array(p.actionItems.map(\.json))
                return .object(fields)
            }
            return JSONValue.array(items).serialized + "\n"
        }
    }
}
