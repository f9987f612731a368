import Foundation
import HTTPTypes
import Hummingbird
import LecternCommerce
import LecternCore

/// Every error the daemon answers with is an RFC 9457 problem document.
extension HTTPProblem: HTTPResponseError {
    public var status: HTTPResponse.Status { .init(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        headers[.cacheControl] = "no-store"
        // A problem that says when to come back says it where clients look too.
        if let retry = extensions["retry_after"] { headers[.retryAfter] = retry }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json())))
    }
}

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
    static let contentTypeOptions = Self("X-Content-Type-Options")!
}

extension Response {
    package static func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    package static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.referrerPolicy] = "same-origin"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The sign-in answer (a signed link, or the post-checkout claim): the access cookies and a redirect
    /// to a URL without any token; nil for any other outcome.
    static func signIn(_ outcome: Gate.Outcome, secureCookies: Bool) -> Response? {
        guard case .signIn(let cookies, let location) = outcome else { return nil }
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        headers[.referrerPolicy] = "no-referrer"
        for cookie in cookies {
            headers.append(HTTPField(name: .setCookie, value: cookie.header(secure: secureCookies)))
        }
        return Response(status: .seeOther, headers: headers)
    }

    /// A gate notice as the client prefers it: problem JSON for API clients, the HTML page for browsers.
    static func notice(_ notice: GateNotice, for request: Request) -> Response {
        var response: Response
        if request.prefersJSON {
            var headers = HTTPFields()
            // Problem documents are for failures; an accepted request answers with plain JSON.
            headers[.contentType] = notice.problem.statusCode >= 400 ? "application/problem+json" : "application/json"
            headers[.cacheControl] = "no-store"
            response = Response(
                status: .init(code: notice.problem.statusCode), headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: notice.problem.json())))
        } else {
            response = .html(notice.html, status: .init(code: notice.problem.statusCode))
        }
        if let retry = notice.problem.extensions["retry_after"] { response.headers[.retryAfter] = retry }
        return response
    }
}

extension Request {
    /// `Accept` names JSON (or problem JSON) and not HTML: an API client, not a browser.
    var prefersJSON: Bool {
        let accept = headers[.accept]?.lowercased() ?? ""
        return (accept.contains("application/json") || accept.contains("application/problem+json"))
            && !accept.contains("text/html")
    }
}
