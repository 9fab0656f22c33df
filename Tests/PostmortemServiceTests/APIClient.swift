import Foundation
import Hummingbird
import HummingbirdTesting

/// One answer of the API, with its body as text and, when it is JSON, parsed.
struct APIAnswer {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    /// The body as a JSON object (fails the test's expectation when it is not one).
    var object: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    /// `items` of a page.
    var items: [[String: Any]] { object["items"] as? [[String: Any]] ?? [] }
    /// `error.code` of an error body.
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
}

/// Calls the API over the live test client with a bearer token.
struct APICaller {
    let client: any TestClientProtocol

    @discardableResult
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = ServiceHarness.writeToken,
        headers: HTTPFields = [:], json body: String? = nil
    ) async throws -> APIAnswer {
        var headers = headers
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }
        ) { response in
            APIAnswer(status: response.status, headers: response.headers, text: String(buffer: response.body))
        }
    }

    /// PATCHes an action item with `body`, sending `If-Match` when `version` is given.
    @discardableResult
    func patch(_ id: String, _ body: String, version: Int? = nil, token: String = ServiceHarness.writeToken)
        async throws -> APIAnswer
    {
        try await call(
            .patch, "/v1/action-items/\(id)", token: token, headers: version.map { [.ifMatch: "\"\($0)\""] } ?? [:],
            json: body)
    }
}

/// The `type` (without the `io.deploypostmortem.` prefix) and `data` of CloudEvents read from the bus.
func cloudEvents(_ values: [[UInt8]]) -> [(type: String, data: [String: Any])] {
    values.compactMap { value in
        guard let event = (try? JSONSerialization.jsonObject(with: Data(value))) as? [String: Any],
            let type = event["type"] as? String
        else { return nil }
        return (String(type.dropFirst("io.deploypostmortem.".count)), event["data"] as? [String: Any] ?? [:])
    }
}
