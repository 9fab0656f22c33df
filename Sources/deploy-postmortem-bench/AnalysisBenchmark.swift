import ArgumentParser
import Foundation
import PostmortemCore

/// Times the offline analysis (what `deploy-postmortem analyze` runs) on the two shapes that
/// were quadratic: many events of one deploy, and many deploys of one service whose rollbacks
/// carry no deploy ID (each must be attributed). Prints decode and analysis seconds per shape.
struct AnalysisBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analysis",
        abstract: "Offline analysis time: N events of one deploy, N deploys of one service."
    )

    @Option(help: "Events of the one deploy, and deploys of the one service.")
    var count = 100_000

    func run() async throws {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        func at(_ seconds: Double) -> String { RFC3339.format(start.addingTimeInterval(seconds)) }
        func event(_ id: String, _ type: String, _ data: String) -> String {
            #"{"specversion":"1.0","id":"\#(id)","source":"/bench","type":"io.deploypostmortem.\#(type)","data":{\#(data)}}"#
        }
        let oneDeploy = [event("start", "deploy.started.v1", #""deployId":"d","service":"svc","environment":"prod","startedAt":"\#(at(0))""#)]
            + (0..<count).map { i in
                event("rb-\(i)", "deploy.rolled_back.v1",
                      #""deployId":"d","service":"svc","environment":"prod","mode":"manual","rolledBackAt":"\#(at(60 + Double(i)))""#)
            }
        let manyDeploys = (0..<count).flatMap { i in
            [
                event("start-\(i)", "deploy.started.v1", #""deployId":"d-\#(i)","service":"svc","environment":"prod","startedAt":"\#(at(Double(i) * 600))""#),
                event("rb-\(i)", "deploy.rolled_back.v1", #""service":"svc","environment":"prod","mode":"automatic","rolledBackAt":"\#(at(Double(i) * 600 + 300))""#),
            ]
        }
        for (name, lines) in [("\(count) events of one deploy", oneDeploy), ("\(count) deploys of one service", manyDeploys)] {
            let clock = ContinuousClock()
            var events: [DecodedEvent] = []
            let decoding = try clock.measure {
                events = try lines.map { try EventDecoder().decode(json: Array($0.utf8), now: start.addingTimeInterval(1e9)) }
            }
            var postmortems = 0
            let analysis = clock.measure { postmortems = BatchAnalysis().run(events).postmortems.count }
            print("\(name): decode \(Self.seconds(decoding)) s, analysis \(Self.seconds(analysis)) s (\(postmortems) postmortems)")
        }
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
