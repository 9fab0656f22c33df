import ArgumentParser
import Foundation
import PostmortemCore

/// Times the offline analysis (what `deploy-postmortem analyze` runs) on the two shapes that
/// were quadratic: many events of one deploy, and many deploys of one service whose rollbacks
/// carry no deploy ID (each must be attributed) — and the gate replay: many deploys of one
/// service with canary gates and metric points, every fifth rolled back, each replayed and
/// priced over its healthy history. Prints decode and analysis seconds per shape.
struct AnalysisBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analysis",
        abstract: "Offline analysis time: N events of one deploy, N deploys of one service, gated deploys replayed."
    )

    @Option(help: "Events of the one deploy, and deploys of the one service.")
    var count = 100_000

    @Option(help: "Deploys with a canary and 81 metric points each (every fifth rolled back) for the gate replay.")
    var replayCount = 10_000

    func run() async throws {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        func at(_ seconds: Double) -> String { RFC3339.format(start.addingTimeInterval(seconds)) }
        func event(_ id: String, _ type: String, _ data: String) -> String {
            #"{"specversion":"1.0","id":"\#(id)","source":"/bench","type":"io.deploypostmortem.\#(type)","data":{\#(data)}}"#
        }
        let oneDeploy =
            [
                event(
                    "start", "deploy.started.v1",
                    #""deployId":"d","service":"svc","environment":"prod","startedAt":"\#(at(0))""#)
            ]
            + (0..<count).map { i in
                event(
                    "rb-\(i)", "deploy.rolled_back.v1",
                    #""deployId":"d","service":"svc","environment":"prod","mode":"manual","rolledBackAt":"\#(at(60 + Double(i)))""#
                )
            }
        let manyDeploys = (0..<count).flatMap { i in
            [
                event(
                    "start-\(i)", "deploy.started.v1",
                    #""deployId":"d-\#(i)","service":"svc","environment":"prod","startedAt":"\#(at(Double(i) * 600))""#),
                event(
                    "rb-\(i)", "deploy.rolled_back.v1",
                    #""service":"svc","environment":"prod","mode":"automatic","rolledBackAt":"\#(at(Double(i) * 600 + 300))""#
                ),
            ]
        }
        // Two hours apart, each with its own baseline hour; the rolled-back ones degrade 2 min in.
        let replayed = (0..<replayCount).flatMap { i in
            let t0 = Double(i) * 7200
            let failed = i % 5 == 4
            let points = stride(from: -3600.0, through: 1200, by: 60).map { s in
                #"{"at":"\#(at(t0 + s))","value":\#(failed && s >= 120 ? 200 : 100 + Double(Int(s / 60 + 60) % 3) - 1)}"#
            }
            return [
                event(
                    "g-start-\(i)", "deploy.started.v1",
                    #""deployId":"g-\#(i)","service":"gated","environment":"prod","startedAt":"\#(at(t0))""#),
                event(
                    "g-canary-\(i)", "deploy.gate_finished.v1",
                    #""deployId":"g-\#(i)","gate":"canary","outcome":"passed","startedAt":"\#(at(t0))","finishedAt":"\#(at(t0 + 600))","checks":[{"metric":"latency_p99_ms","threshold":300,"direction":"above","observed":150,"passed":true}]"#
                ),
                failed
                    ? event(
                        "g-rb-\(i)", "deploy.rolled_back.v1",
                        #""deployId":"g-\#(i)","service":"gated","environment":"prod","mode":"automatic","rolledBackAt":"\#(at(t0 + 900))""#
                    )
                    : event(
                        "g-done-\(i)", "deploy.finished.v1",
                        #""deployId":"g-\#(i)","outcome":"succeeded","finishedAt":"\#(at(t0 + 900))""#),
                event(
                    "g-metric-\(i)", "metric.sampled.v1",
                    #""service":"gated","environment":"prod","metric":"latency_p99_ms","points":[\#(points.joined(separator: ","))]"#
                ),
            ]
        }
        for (name, lines) in [
            ("\(count) events of one deploy", oneDeploy), ("\(count) deploys of one service", manyDeploys),
            ("\(replayCount) gated deploys of one service (gate replay)", replayed),
        ] {
            let clock = ContinuousClock()
            var events: [DecodedEvent] = []
            let decoding = try clock.measure {
                events = try lines.map {
                    try EventDecoder().decode(json: Array($0.utf8), now: start.addingTimeInterval(1e9))
                }
            }
            var postmortems = 0
            let analysis = clock.measure { postmortems = BatchAnalysis().run(events).postmortems.count }
            print(
                "\(name): decode \(Self.seconds(decoding)) s, analysis \(Self.seconds(analysis)) s (\(postmortems) postmortems)"
            )
        }
    }

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
