import Foundation
import Hummingbird
import PostmortemCore

/// `GET /v1/insights/delivery` and `GET /v1/insights/gate-gaps` (docs/insights.md): read scope,
/// strict parameters, a window of at most ``maxRange``.
struct InsightsRoutes: Sendable {
    let insights: InsightsReader
    let clock: @Sendable () -> Date

    /// The longest window one request may ask for.
    static let maxRange: TimeInterval = 366 * 86_400
    /// The window when `from` is not given: this long before `to`.
    static let defaultRange: TimeInterval = 90 * 86_400

    func register(on v1: RouterGroup<APIRequestContext>) {
        v1.get("insights/delivery") { request, _ in try await delivery(request) }
        v1.get("insights/gate-gaps") { request, _ in try await gateGaps(request) }
    }

    private func delivery(_ request: Request) async throws -> Response {
        let query = try QueryReader(request, allowed: ["service", "environment", "team", "from", "to"])
        let (from, to) = try window(query)
        let filter = DeliveryFilter(
            service: try query.string("service"), environment: try query.string("environment"),
            team: try query.string("team"),
            from: from, to: to)
        guard case .object(var body) = try await insights.delivery(filter).json else {
            throw APIError.status(.internalServerError, message: nil)
        }
        body["filter"] = .object([
            "service": filter.service.map { .string($0) } ?? .null,
            "environment": filter.environment.map { .string($0) } ?? .null,
            "team": filter.team.map { .string($0) } ?? .null,
        ])
        return Self.json(.object(body))
    }

    private func gateGaps(_ request: Request) async throws -> Response {
        let query = try QueryReader(request, allowed: ["from", "to", "minOccurrences"])
        let (from, to) = try window(query)
        let minOccurrences = try query.integer("minOccurrences", in: 1...1000) ?? 2
        let gaps = try await insights.gateGaps(from: from, to: to, minOccurrences: minOccurrences)
        return Self.json(
            .object([
                "from": .string(RFC3339.format(from)), "to": .string(RFC3339.format(to)),
                "minOccurrences": .number(Double(minOccurrences)), "gaps": .array(gaps.map(\.json)),
            ]))
    }

    /// `[from, to)`: `to` defaults to now, `from` to ``defaultRange`` before `to`; 400 unless
    /// `from < to` and the window is at most ``maxRange`` long.
    private func window(_ query: QueryReader) throws -> (Date, Date) {
        let to = try query.time("to") ?? clock()
        let from = try query.time("from") ?? max(to.addingTimeInterval(-Self.defaultRange), apiTimeRange.lowerBound)
        guard from < to else { throw APIError.badRequest("from must be before to") }
        guard to.timeIntervalSince(from) <= Self.maxRange else {
            throw APIError.badRequest(
                "the window from \(RFC3339.format(from)) to \(RFC3339.format(to)) is longer than 366 days; ask for a shorter one"
            )
        }
        return (from, to)
    }

    private static func json(_ value: JSONValue) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serializedBytes)))
    }
}
