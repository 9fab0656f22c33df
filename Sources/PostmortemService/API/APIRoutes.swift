import Foundation
import Hummingbird
import PostmortemCore

/// The authenticated REST API under `/v1` (documented in docs/openapi.yaml, served at
/// `/v1/openapi.yaml`): postmortems, action items and insights, read with a read token, action
/// items edited with a write token.
struct APIRoutes: Sendable {
    let postmortems: PostmortemReader
    let actionItems: ActionItemStore
    /// `/v1/insights/*`.
    let insights: InsightsRoutes
    let tokens: APITokens
    /// Largest request body read; larger ones get 413.
    let maxBodyBytes: Int
    let metrics: ServiceMetrics
    let clock: @Sendable () -> Date

    /// The OpenAPI document, compiled into the binary from docs/openapi.yaml.
    static let openAPIDocument: [UInt8] = PackageResources.openapi_yaml

    /// Adds the `/v1` routes, each behind request metrics and bearer authentication.
    func register(on router: Router<APIRequestContext>) {
        let v1 = router.group("v1")
            .add(middleware: RequestMetricsMiddleware(metrics: metrics))
            .add(middleware: BearerAuthMiddleware(tokens: tokens))
        v1.get("postmortems") { request, _ in try await listPostmortems(request) }
        v1.get("postmortems/{id}") { request, context in
            try await postmortem(context.parameters.require("id"), markdown: try Self.prefersMarkdown(request))
        }
        v1.get("postmortems/{id}.md") { _, context in
            try await postmortem(context.parameters.require("id"), markdown: true)
        }
        v1.get("action-items") { request, _ in try await listActionItems(request) }
        v1.get("action-items/{id}") { _, context in try await actionItem(context.parameters.require("id")) }
        v1.patch("action-items/{id}") { request, context in
            try await editActionItem(
                context.parameters.require("id"), request: request, actor: try context.requirePrincipal().name)
        }
        insights.register(on: v1)
        v1.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: Self.openAPIDocument)))
        }
    }

    private func listPostmortems(_ request: Request) async throws -> Response {
        let query = try QueryReader(
            request, allowed: ["service", "environment", "status", "deployId", "since", "limit", "cursor"])
        let filter = PostmortemFilter(
            service: try query.string("service"), environment: try query.string("environment"),
            status: try query.value("status", as: PostmortemStatus.self), deployId: try query.string("deployId"),
            since: try query.time("since"), limit: try query.limit(), after: try query.cursor())
        return Self.json(APIResources.page(try await postmortems.summaries(filter), APIResources.summary))
    }

    private func postmortem(_ id: String, markdown: Bool) async throws -> Response {
        guard let uuid = canonicalUUID(id) else { throw APIError.notFound("no postmortem \(id)") }
        if markdown {
            guard let postmortem = try await postmortems.postmortem(id: uuid) else {
                throw APIError.notFound("no postmortem \(id)")
            }
            return Response(
                status: .ok, headers: [.contentType: "text/markdown; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: MarkdownRenderer().render(postmortem))))
        }
        guard let record = try await postmortems.record(id: uuid) else {
            throw APIError.notFound("no postmortem \(id)")
        }
        let items = try await actionItems.items(ofPostmortem: uuid)
        return Self.json(APIResources.postmortem(record, items: items, now: clock()))
    }

    private func listActionItems(_ request: Request) async throws -> Response {
        let query = try QueryReader(
            request, allowed: ["owner", "status", "overdue", "postmortemId", "limit", "cursor"])
        let filter = ActionItemFilter(
            owner: try query.string("owner"), status: try query.value("status", as: ActionItemStatus.self),
            overdue: try query.bool("overdue"), postmortemId: try query.uuid("postmortemId"),
            limit: try query.limit(), after: try query.cursor())
        let now = clock()
        return Self.json(
            APIResources.page(try await actionItems.list(filter, now: now)) { APIResources.actionItem($0, now: now) })
    }

    private func actionItem(_ id: String) async throws -> Response {
        guard let uuid = canonicalUUID(id), let stored = try await actionItems.item(uuid) else {
            throw APIError.notFound("no action item \(id)")
        }
        return Self.json(
            APIResources.actionItem(stored, now: clock()), headers: [.eTag: EntityTag.header(stored.version)])
    }

    private func editActionItem(_ id: String, request: Request, actor: String) async throws -> Response {
        guard let uuid = canonicalUUID(id) else { throw APIError.notFound("no action item \(id)") }
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
            .lowercased()
        guard mediaType == "application/json" || mediaType == "application/merge-patch+json" else {
            throw APIError.status(
                .unsupportedMediaType, message: "send the changes as application/json or application/merge-patch+json")
        }
        let expectedVersion = try EntityTag.expectedVersion(request)
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.status(.contentTooLarge, message: "request body over \(maxBodyBytes) bytes")
        } catch let error as any HTTPResponseError {
            throw error  // 408 from the body deadline
        } catch {
            // The HTTP parser's: the client ended the request early or broke its framing.
            throw APIError.badRequest("request body cut short or malformed (\(error))")
        }
        let patch = try ActionItemPatchBody.parse(Array(buffer: body))
        let now = clock()
        do {
            let stored = try await actionItems.edit(
                uuid, patch: patch, expectedVersion: expectedVersion, actor: actor, now: now)
            return Self.json(
                APIResources.actionItem(stored, now: now), headers: [.eTag: EntityTag.header(stored.version)])
        } catch ActionItemEditError.notFound {
            throw APIError.notFound("no action item \(id)")
        } catch ActionItemEditError.versionMismatch(let current) {
            var error = APIError.preconditionFailed(
                "action item \(id) is at version \(current), not \(expectedVersion.map(String.init) ?? "?"); read it again and retry"
            )
            error.headers[.eTag] = EntityTag.header(current)
            throw error
        } catch ActionItemEditError.illegal(let refusal) {
            throw APIError.conflict(refusal.description)
        }
    }

    /// Whether `Accept` asks for Markdown before JSON; 406 when it accepts neither.
    static func prefersMarkdown(_ request: Request) throws -> Bool {
        guard let accept = request.headers[.accept], !accept.isEmpty else { return false }
        for range in accept.split(separator: ",") {
            let mediaType = range.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            switch mediaType {
            case "application/json", "application/*", "*/*": return false
            case "text/markdown", "text/*": return true
            default: continue
            }
        }
        throw APIError.status(.notAcceptable, message: "this resource is application/json or text/markdown")
    }

    private static func json(_ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.serializedBytes)))
    }
}
