import Foundation
import PostmortemService
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP server's defences against idle, slow and too many connections, over real TCP
/// against the server as `serve` runs it (its own HTTP service, on a free port).
@Suite("HTTP connections: timeouts and cap", .serialized)
struct HTTPConnectionTests {
    /// Runs `body` against a live server whose HTTP limits `adjust` sets, with its port.
    static func withServer(
        _ adjust: (inout ServiceConfiguration.HTTPLimits) -> Void, _ body: (ServiceHarness, Int) async throws -> Void
    ) async throws {
        let port = try freePort()
        try await ServiceHarness.with(
            clock: SampleEvents.clock,
            configure: { configuration in
                configuration.http.host = "127.0.0.1"
                configuration.http.port = port
                adjust(&configuration.http.limits)
            }
        ) { harness in
            try await waitUntil("the HTTP server listening", timeout: .seconds(30)) {
                (try? await offPool { try Self.get(port, "/healthz") })?.status == 200
            }
            try await body(harness, port)
        }
    }

    /// A port nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw HarnessError("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// `GET path` on a new connection, as a probe does (blocking: call it in ``offPool(_:)``).
    static func get(_ port: Int, _ path: String) throws -> RawResponse {
        let connection = try RawConnection(port: port)
        try connection.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        return try connection.readResponse(timeout: .seconds(10))
    }

    /// How long `GET /healthz` takes on a new connection, connecting included.
    static func probeLatency(_ port: Int) throws -> Duration {
        let start = ContinuousClock.now
        let response = try get(port, "/healthz")
        guard response.status == 200 else { throw HarnessError("/healthz answered \(response.status)") }
        return ContinuousClock.now - start
    }

    /// The server's metrics.
    static func metrics(_ port: Int) async throws -> [String: Double] {
        try HTTPTests.parsePrometheus(try await offPool { try get(port, "/metrics") }.body)
    }

    static func closed(_ metrics: [String: Double], _ reason: String) -> Double {
        metrics[#"deploy_postmortem_http_connections_closed_total{reason="\#(reason)"}"#] ?? -1
    }

    /// A PATCH whose body never completes: the application holds its head and waits for the
    /// body, so the connection is busy.
    static func unfinishedPatch(_ port: Int, id: String = UUID().uuidString.lowercased(), body: String = #"{"owner":"#)
        throws -> RawConnection
    {
        let connection = try RawConnection(port: port)
        try connection.send(
            "PATCH /v1/action-items/\(id) HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(ServiceHarness.writeToken)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count + 10)\r\n\r\n\(body)")
        return connection
    }

    @Test func probesAnswerUnderFiveThousandIdleConnections() async throws {
        let idle = 5_000
        try raiseOpenFileLimit(to: 2 * idle + 3_000)  // both ends live in this process
        try await Self.withServer({ $0.maxConnections = idle + 500 }) { _, port in
            let memoryBefore = residentMemory()
            let connections = try await offPool { try (0..<idle).map { _ in try RawConnection(port: port) } }
            // Held by the server, not waiting in the listen backlog.
            try await waitUntil("the server holding \(idle) connections", timeout: .seconds(60)) {
                try await Self.metrics(port)["deploy_postmortem_http_connections"] ?? 0 >= Double(idle)
            }
            let memoryAfter = residentMemory()
            var latencies: [Duration] = []
            for _ in 0..<7 { latencies.append(try await offPool { try Self.probeLatency(port) }) }
            let median = latencies.sorted()[latencies.count / 2]
            let figures = latencies.map { "\(Int(($0 / .milliseconds(1)).rounded())) ms" }.joined(separator: ", ")
            print("/healthz with \(idle) idle connections: median \(median), tries: \(figures)")
            if let memoryBefore, let memoryAfter {
                print(
                    "resident memory: \(memoryBefore >> 20) MiB before, \(memoryAfter >> 20) MiB with \(idle) idle connections "
                        + "(\((memoryAfter - memoryBefore) / idle) bytes each, both ends in this process)")
            }
            #expect(
                median < .milliseconds(100),
                "median /healthz latency with \(idle) idle connections: \(median); tries: \(figures)")
            #expect(try await offPool { try Self.get(port, "/readyz") }.status == 200)
            #expect(
                try await offPool { connections.filter(\.isClosed).count } == 0, "no idle connection was dropped early")
        }
    }

    @Test func idleConnectionsAreClosedAfterTheIdleTimeout() async throws {
        try await Self.withServer({ $0.idleTimeout = .milliseconds(500) }) { _, port in
            let seen = try await offPool {
                let start = ContinuousClock.now
                let fresh = try (0..<20).map { _ in try RawConnection(port: port) }
                // One that was used and is kept alive.
                let used = try RawConnection(port: port)
                try used.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                let status = try used.readResponse(timeout: .seconds(5)).status
                Thread.sleep(forTimeInterval: 0.2)
                let closedEarly = (fresh + [used]).filter(\.isClosed).count
                let closedLater = (fresh + [used]).filter { $0.waitForClose(timeout: .seconds(5)) }.count
                return (
                    status, closedEarly, closedLater, ContinuousClock.now - start,
                    fresh.filter { !$0.receivedText.isEmpty }.count
                )
            }
            #expect(seen.0 == 200)
            #expect(seen.1 == 0, "closed before the idle timeout")
            #expect(seen.2 == 21, "closed after it")
            #expect(seen.3 >= .milliseconds(500))
            #expect(seen.4 == 0, "an idle connection is closed without an answer")
            #expect(Self.closed(try await Self.metrics(port), "idle_timeout") == 21)
        }
    }

    @Test func slowRequestHeadsAreAnswered408AndClosed() async throws {
        try await Self.withServer({ $0.headerTimeout = .milliseconds(500) }) { _, port in
            // Idle for longer than the header timeout, then a prompt request: the head's clock
            // starts at its first byte, not at connect.
            let patient = try await offPool {
                let connection = try RawConnection(port: port)
                Thread.sleep(forTimeInterval: 0.8)
                try connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                return try connection.readResponse(timeout: .seconds(5)).status
            }
            #expect(patient == 200)

            // A slowloris: one header line every 100 ms, never the blank line.
            let (closed, elapsed, answer) = try await offPool {
                let slow = try RawConnection(port: port)
                let start = ContinuousClock.now
                try slow.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
                var line = 0
                while !slow.waitForClose(timeout: .milliseconds(100)), ContinuousClock.now - start < .seconds(5) {
                    line += 1
                    try? slow.send("X-Slow-\(line): \(line)\r\n")
                }
                return (slow.isClosed, ContinuousClock.now - start, try? slow.readResponse(timeout: .zero))
            }
            #expect(closed)
            #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(2), "closed after \(elapsed)")
            let response = try #require(answer)
            #expect(response.status == 408)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.body.contains(#""code":"request_timeout""#), "\(response.body)")
            #expect(response.body.contains("request head not complete within 0.5 s"), "\(response.body)")
            #expect(Self.closed(try await Self.metrics(port), "header_timeout") == 1)
        }
    }

    @Test func slowOrUnfinishedBodiesChangeNothing() async throws {
        try await Self.withServer({ $0.bodyTimeout = .milliseconds(500) }) { harness, port in
            try await harness.produce(SampleEvents.lines)
            try await harness.waitUntilSettled("the action items", messages: SampleEvents.lines.count)
            try #require(try await harness.count("SELECT count(*) FROM action_items") == 5)
            let id = try await harness.query {
                try $0.query("SELECT action_item_id::text FROM action_items LIMIT 1")[0].decode(String.self, at: 0)
            }

            // The whole JSON object, but fewer bytes than Content-Length announced.
            let (answer, elapsed, closed) = try await offPool {
                let slow = try Self.unfinishedPatch(port, id: id, body: #"{"owner":"slow-writer"}"#)
                let start = ContinuousClock.now
                let answer = try slow.readResponse(timeout: .seconds(5))
                return (answer, ContinuousClock.now - start, slow.waitForClose(timeout: .seconds(2)))
            }
            #expect(elapsed >= .milliseconds(450))
            #expect(answer.status == 408)
            #expect(answer.body.contains(#""code":"request_timeout""#), "\(answer.body)")
            #expect(answer.body.contains("request body not complete within 0.5 s"), "\(answer.body)")
            #expect(closed, "closed after the answer")

            // A client that stops sending half way.
            let (quitterClosed, quitterAnswer) = try await offPool {
                let quitter = try Self.unfinishedPatch(port, id: id, body: #"{"owner":"quitter"}"#)
                quitter.shutdownWrite()
                return (quitter.waitForClose(timeout: .seconds(5)), try? quitter.readResponse(timeout: .zero))
            }
            #expect(quitterClosed)
            #expect(quitterAnswer?.status == 400, "\(quitterAnswer.map { "\($0.status) \($0.body)" } ?? "no answer")")

            let owner = try await harness.query {
                try $0.query("SELECT coalesce(owner, '') FROM action_items WHERE action_item_id = $1::uuid", [id])[0]
                    .decode(String.self, at: 0)
            }
            #expect(owner != "slow-writer" && owner != "quitter")
            #expect(Self.closed(try await Self.metrics(port), "body_timeout") == 1)
        }
    }

    @Test func aFullServerClosesTheConnectionIdleTheLongest() async throws {
        try await Self.withServer({ $0.maxConnections = 16 }) { _, port in
            let seen = try await offPool {
                // The oldest connection is busy: the application waits for its body.
                let busy = [try Self.unfinishedPatch(port)]
                Thread.sleep(forTimeInterval: 0.2)
                // Connections opened together are registered on several event loops in no set
                // order: the first one is opened well before the others.
                let oldest = try RawConnection(port: port)
                Thread.sleep(forTimeInterval: 0.1)
                let idle = [oldest] + (try (0..<14).map { _ in try RawConnection(port: port) })
                Thread.sleep(forTimeInterval: 0.2)
                // The 17th connection: a probe. It is answered; the oldest idle one makes room.
                let probe = try Self.get(port, "/healthz").status
                let oldestIdleClosed = idle[0].waitForClose(timeout: .seconds(2))
                let othersClosed = (busy + idle.dropFirst()).filter(\.isClosed).count

                // Busy connections are never evicted: once all 16 are busy, a new one is refused.
                let moreBusy = try (0..<15).map { _ in try Self.unfinishedPatch(port) }
                Thread.sleep(forTimeInterval: 0.2)
                let idleClosed = idle.filter { $0.waitForClose(timeout: .seconds(2)) }.count
                let busyClosed = (busy + moreBusy).filter(\.isClosed).count
                let refused = try RawConnection(port: port)
                return (
                    probe, oldestIdleClosed, othersClosed, idleClosed, busyClosed,
                    refused.waitForClose(timeout: .seconds(2)), refused.receivedText
                )
            }
            #expect(seen.0 == 200, "the probe is answered")
            #expect(seen.1, "the connection idle the longest is closed")
            #expect(seen.2 == 0, "only that one")
            #expect(seen.3 == 15, "every idle connection made room for a busy one")
            #expect(seen.4 == 0, "no busy connection is closed")
            #expect(seen.5 && seen.6.isEmpty, "refused when every connection is busy")
            // The test's 16 busy connections closed as the block ended; until the server has seen
            // them close, a new connection is refused like the 17th, so retry until one is served.
            var scraped: [String: Double]?
            let deadline = ContinuousClock.now + .seconds(10)
            while scraped == nil, ContinuousClock.now < deadline {
                scraped = try? await Self.metrics(port)
                if scraped == nil { try await Task.sleep(for: .milliseconds(100)) }
            }
            let metrics = try #require(scraped, "no connection served within 10 s")
            #expect(Self.closed(metrics, "evicted") == 15)
            #expect(Self.closed(metrics, "refused") == 1)
        }
    }
}
