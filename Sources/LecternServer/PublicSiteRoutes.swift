import Foundation
import Hummingbird
import LecternCommerce
import LecternCore
import LecternHTTP

/// Everything else: the static `public/` output, with validators (ETag from the content,
/// Last-Modified), conditional requests, HEAD, gzip for text, and the site's 404 page.
struct PublicSiteRoutes: Sendable {
    let files: StaticFiles
    let pages: GatePages

    func register(on router: Router<LecternRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/", method: method) { request, _ in try self.respond(to: request) }
            router.on("/**", method: method) { request, _ in try self.respond(to: request) }
        }
    }

    private func respond(to request: Request) throws -> Response {
        guard let path = RequestPath(request.uri.path) else {
            throw HTTPProblem(
                status: 400, kind: .badPath, title: "Bad path", detail: "the path is malformed or leaves the site")
        }
        switch files.lookup(path) {
        case .file(let file):
            return serve(file, request: request)
        case .addSlash:
            var headers = HTTPFields()
            headers[.location] = request.uri.path + "/" + (request.uri.query.map { "?\($0)" } ?? "")
            return Response(status: .movedPermanently, headers: headers)
        case .notFound:
            return notFound(request)
        }
    }

    func notFound(_ request: Request) -> Response {
        if !request.prefersJSON,
            case .file(let page) = files.lookup(RequestPath(segments: ["404.html"], isFolder: false))
        {
            var headers = HTTPFields()
            headers[.contentType] = page.contentType
            headers[.cacheControl] = "no-store"
            return Self.response(.notFound, headers: headers, body: page.bytes, request: request)
        }
        return Response.notice(pages.notFound(path: request.uri.path), for: request)
    }

    private func serve(_ file: ServedFile, request: Request) -> Response {
        let gzip = file.gzipped != nil && Gzip.accepted(by: request.headers[.acceptEncoding])
        let etag = gzip ? file.gzipETag : file.etag
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.lastModified] = HTTPDate.format(file.lastModified)
        // HTML revalidates every time (a rebuild shows at once); assets may be reused for an hour.
        headers[.cacheControl] = file.contentType.hasPrefix("text/html") ? "no-cache" : "public, max-age=3600"
        headers[.contentTypeOptions] = "nosniff"
        if file.gzipped != nil { headers[.vary] = "Accept-Encoding" }
        if file.contentType.hasPrefix("text/html") { headers[.referrerPolicy] = "same-origin" }
        if Self.notModified(request, etag: etag, lastModified: file.lastModified) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = file.contentType
        if gzip { headers[.contentEncoding] = "gzip" }
        return Self.response(
            .ok, headers: headers, body: gzip ? file.gzipped ?? file.bytes : file.bytes, request: request)
    }

    /// RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since; ETags compare weakly for GET/HEAD.
    static func notModified(_ request: Request, etag: String, lastModified: Date) -> Bool {
        if let match = request.headers[.ifNoneMatch] {
            let bare = { (tag: Substring) in
                tag.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "")
            }
            return match.split(separator: ",").contains { bare($0) == etag || bare($0) == "*" }
        }
        if let since = request.headers[.ifModifiedSince].flatMap(HTTPDate.parse) {
            return lastModified.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970
        }
        return false
    }

    /// The response with its body, or for HEAD the same headers (Content-Length included) and no body.
    static func response(
        _ status: HTTPResponse.Status, headers: HTTPFields, body: [UInt8], request: Request
    ) -> Response {
        var headers = headers
        if request.method == .head {
            headers[.contentLength] = String(body.count)
            return Response(status: status, headers: headers)
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
