import Foundation
import HTTPTypes
import Hummingbird
import LecternCommerce
import LecternCore
import LecternHTTP
import LecternStore

/// `/learn/…`: the paid side, decided by `Gate` and rendered here as HTTP.
struct GateRoutes: Sendable {
    let gate: Gate
    let publicSite: PublicSiteRoutes
    /// `Secure` on the access cookie.
    let secureCookies: Bool
    /// Client addresses from `X-Forwarded-For` (the sessions' networks).
    let trustProxy: Bool
    /// The paid bundle's files, served only when the gate says so.
    let paidFiles: StaticFiles
    /// Buyers' offline editions, and how many a grant may download per hour.
    let editions: EditionShelf
    let downloads: any RequestLimiter

    init(
        gate: Gate, publicSite: PublicSiteRoutes, secureCookies: Bool, trustProxy: Bool, editions: EditionShelf,
        downloads: any RequestLimiter
    ) {
        self.gate = gate
        self.editions = editions
        self.downloads = downloads
        self.trustProxy = trustProxy
        self.publicSite = publicSite
        self.secureCookies = secureCookies
        paidFiles = StaticFiles(root: gate.bundle.directory)
    }

    func register(on router: Router<LecternRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/\(SiteRoutes.gateSegment)/**", method: method) { request, context in
                guard request.uri.queryParameters["token"] != nil else {
                    return try await self.respond(to: request, context: context)
                }
                // The token is in this request's URL: whatever the answer (sign-in, error page, 404),
                // nothing it loads may pass the URL on as a Referer, and no cache may keep it.
                var response: Response
                do {
                    response = try await self.respond(to: request, context: context)
                } catch let problem as HTTPProblem {
                    response = try problem.response(from: request, context: context)
                } catch {
                    response = try HTTPProblem.storeUnavailable().response(from: request, context: context)
                }
                response.headers[.referrerPolicy] = "no-referrer"
                response.headers[.cacheControl] = "no-store"
                return response
            }
        }
    }

    private func respond(to request: Request, context: LecternRequestContext) async throws -> Response {
        guard let path = RequestPath(request.uri.path), path.segments.count >= 2,
            path.segments[0] == SiteRoutes.gateSegment
        else {
            throw HTTPProblem(
                status: 400, kind: .badPath, title: "Bad path", detail: "the path is malformed or leaves the site")
        }
        let token = request.uri.queryParameters["token"].map(String.init)
        let cookie = AccessCookie.find(in: request.headers[.cookie])
        let outcome = try gate.handle(
            slug: path.segments[1], rest: Array(path.segments.dropFirst(2)), isFolder: path.isFolder,
            token: token, cookie: cookie, library: LibraryCookie.find(LibraryCookie.name, in: request.headers[.cookie]),
            client: context.clientInfo(request, trustProxy: trustProxy))
        switch outcome {
        case .signIn:
            return .signIn(outcome, secureCookies: secureCookies) ?? publicSite.notFound(request)

        case .lesson(let html, let refresh):
            return paid(html, type: "text/html; charset=utf-8", compressible: true, refresh: refresh, request: request)

        case .asset(let path, let refresh):
            guard case .file(let file) = paidFiles.lookup(path) else { return publicSite.notFound(request) }
            return paid(
                file.bytes, type: file.contentType, compressible: ContentTypes.isCompressible(file.contentType),
                refresh: refresh, request: request)

        case .edition(let edition, let refresh):
            return try await download(edition, refresh: refresh, request: request)

        case .redirect(let location):
            var headers = HTTPFields()
            headers[.location] = location
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)

        case .noAccess(let course):
            if request.prefersJSON {
                throw HTTPProblem(
                    status: 401, kind: .noAccess, title: "Sign-in needed",
                    detail: "open the link from your purchase e-mail, or buy the course",
                    extensions: ["buy_url": course.buyLink, "course_url": SiteRoutes.landing(course.slug)])
            }
            var headers = HTTPFields()
            headers[.location] = SiteRoutes.landing(course.slug)
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)

        case .notice(let notice):
            return Response.notice(notice, for: request)

        case .notFound:
            return publicSite.notFound(request)
        }
    }

    /// A buyer's offline edition, as a file to save. Counted per grant: each is a new file to make when the
    /// course changed, and a PDF is a browser run.
    private func download(
        _ edition: EditionRequest, refresh: Gate.IssuedCookie?, request: Request
    ) async throws
        -> Response
    {
        // HEAD counts too: it makes the file as GET does.
        if case .limited(let seconds) = downloads.take("\(edition.grant.id)") {
            return .notice(gate.pages.tooManyRequests(retryAfter: seconds), for: request)
        }
        let bytes: [UInt8]
        do {
            bytes = try await editions.edition(edition)
        } catch EditionShelf.Failure.noEdition {
            throw HTTPProblem(
                status: 404, kind: .notFound, title: "No offline edition",
                detail: "the site was built by a lectern without offline editions; build it again with this one")
        } catch EditionShelf.Failure.noPrinter {
            throw HTTPProblem(
                status: 503, kind: .notConfigured, title: "PDF not available",
                detail: "this server cannot print PDFs; the EPUB edition is available")
        } catch EditionShelf.Failure.busy {
            throw HTTPProblem(
                status: 503, kind: .rateLimited, title: "Busy", detail: "many editions are being made; retry shortly",
                extensions: ["retry_after": "30"])
        } catch {
            // What the buyer can do is retry; what went wrong (Chromium's last words, a full disk) is the operator's.
            var problem = HTTPProblem(
                status: 503, kind: .editionFailed, title: "Edition not made",
                detail: "your copy could not be made just now; try again in a minute",
                extensions: ["retry_after": "60"])
            problem.cause = "\(error)"
            throw problem
        }
        var response = paid(
            bytes, type: edition.format.contentType, compressible: false, refresh: refresh, request: request)
        response.headers[.contentDisposition] = edition.contentDisposition
        return response
    }

    /// A paid response: the buyer's own copy, so no shared cache may keep it and no browser may store it.
    private func paid(
        _ bytes: [UInt8], type: String, compressible: Bool, refresh: Gate.IssuedCookie?, request: Request
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "private, no-store"
        headers[.referrerPolicy] = "same-origin"
        headers[.contentTypeOptions] = "nosniff"
        headers[.init("X-Robots-Tag")!] = "noindex"
        if let refresh { headers[.setCookie] = refresh.header(secure: secureCookies) }
        var body = bytes
        if compressible {
            headers[.vary] = "Accept-Encoding"
            // Level 1: a buyer's page is compressed per request, so speed matters more than the last few percent.
            if Gzip.accepted(by: request.headers[.acceptEncoding]), bytes.count >= 256,
                let gzipped = Gzip.compress(bytes, level: 1)
            {
                body = gzipped
                headers[.contentEncoding] = "gzip"
            }
        }
        return PublicSiteRoutes.response(.ok, headers: headers, body: body, request: request)
    }
}
