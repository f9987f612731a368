import Foundation
import HTTPTypes
import Hummingbird
import LecternCommerce
import LecternCore
import LecternStore
import NIOFoundationEssentialsCompat

/// The buyer's library, for a browser signed in with `lectern_library` (`LibraryCookie`). The page itself
/// is static (`layouts/library.mustache`, built into `public/library/`); its script and the course pages'
/// ask these:
/// - `GET /access/library.json`: every course the buyer's live grants open, with reading progress and where
///   to continue; 401 when not signed in.
/// - `POST /access/progress` (`{"path": "/learn/<course>/<lesson>/"}`): a lesson read, kept per buyer and
///   course, so progress follows the buyer to every device. Only for a course the buyer owns.
/// - `POST /access/sign-out`: this browser's session ends and it forgets every cookie a sign-in set.
/// - `POST /access/sign-out-others`: every other browser signed in as this buyer is signed out
///   ("sign out other devices"; `DeviceSessions`).
struct LibraryRoutes: Sendable {
    let bundle: LiveBundle
    let library: Library
    let cookies: LibraryCookie
    let devices: DeviceSessions
    let secureCookies: Bool

    func register(on router: Router<LecternRequestContext>) {
        router.get(.init(SiteRoutes.libraryData)) { request, _ -> Response in
            let signedIn = try self.signedIn(request)
            let buyer = signedIn.buyer
            let progress = try self.read { try library.progress(buyer: buyer) }
            let courses = try self.read { try self.ownedCourses(buyer: buyer) }.map { course -> [String: Any] in
                let read = progress[course.slug] ?? []
                let lessons = course.lessons.filter { lesson in read.contains { $0.lesson == lesson.slug } }
                // Continue at the lesson read last; with nothing read yet, at the first paid lesson.
                let last = read.last.flatMap { entry in course.lessons.first { $0.slug == entry.lesson } }
                let start = last ?? course.lessons.first { !$0.free } ?? course.lessons.first
                return [
                    "slug": course.slug, "title": course.title, "url": SiteRoutes.landing(course.slug),
                    "continue_url": start.map { SiteRoutes.lesson($0.slug, course: course.slug, free: $0.free) }
                        ?? SiteRoutes.gate(course.slug),
                    "continue_title": start?.title ?? "", "started": last != nil,
                    "lessons": course.lessons.count, "read": lessons.count,
                    "read_urls": lessons.map { SiteRoutes.lesson($0.slug, course: course.slug, free: $0.free) },
                    "downloads": SiteRoutes.editions(course.slug),
                ]
            }
            let email = try self.read { try library.email(buyer: buyer) } ?? ""
            let devices = try self.read { try self.devices.sessions.devices(buyer: buyer) }.map { device in
                [
                    "browser": device.browser, "last_seen": GatePages.iso(device.lastSeenAt),
                    "this_device": device.id == signedIn.session,
                ] as [String: Any]
            }
            return .json([
                "email": email, "courses": courses, "devices": devices,
                "max_devices": self.devices.maxDevices ?? NSNull(),
            ])
        }
        router.post(.init(SiteRoutes.libraryProgress)) { request, _ -> Response in
            let buyer = try self.signedIn(request).buyer
            var buffer = try await request.body.collect(upTo: 2_048)
            let object =
                (try? JSONSerialization.jsonObject(with: buffer.readData(length: buffer.readableBytes) ?? Data()))
            guard let path = (object as? [String: Any])?["path"] as? String, let parsed = RequestPath(path),
                parsed.segments.count == 3,
                [SiteRoutes.gateSegment, SiteRoutes.publicSegment].contains(parsed.segments[0])
            else { throw HTTPProblem.malformed("send {\"path\": \"/learn/<course>/<lesson>/\"}") }
            let (courseSlug, lessonSlug) = (parsed.segments[1], parsed.segments[2])
            guard
                let course = try self.read({ try self.ownedCourses(buyer: buyer) }).first(where: {
                    $0.slug == courseSlug
                }),
                course.lessons.contains(where: { $0.slug == lessonSlug })
            else {
                throw HTTPProblem(
                    status: 404, kind: .notFound, title: "Page not found",
                    detail: "no lesson of a course you own at \(path)")
            }
            do { try library.markRead(buyer: buyer, course: course.slug, lesson: lessonSlug) } catch {
                throw HTTPProblem.storeUnavailable(cause: "\(error)")
            }
            return Response(status: .noContent)
        }
        router.post(.init(SiteRoutes.librarySignOutOthers)) { request, _ -> Response in
            let signedIn = try self.signedIn(request)
            _ = try self.read { try devices.endOthers(buyer: signedIn.buyer, keeping: signedIn.session) }
            var headers = HTTPFields()
            headers[.location] = SiteRoutes.library
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        }
        router.post(.init(SiteRoutes.librarySignOut)) { request, _ -> Response in
            // The session ends on the server too: a copy of this browser's cookies opens nothing more.
            if let signedIn = cookies.value(LibraryCookie.find(LibraryCookie.name, in: request.headers[.cookie])) {
                _ = try self.read { try devices.end(signedIn.session) }
            }
            var headers = HTTPFields()
            let secure = secureCookies ? "; Secure" : ""
            // Every cookie a sign-in sets, expired: the library's, its marker, and each course's.
            for (name, path) in [(LibraryCookie.name, "/"), (LibraryCookie.markerName, "/")]
                + bundle.manifest.courses.map({ (AccessCookie.name, SiteRoutes.gate($0.slug)) })
            {
                headers.append(
                    HTTPField(name: .setCookie, value: "\(name)=; Path=\(path); Max-Age=0; SameSite=Lax\(secure)"))
            }
            headers[.location] = SiteRoutes.library
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        }
    }

    /// The signed-in buyer and this browser's session, or 401 (also for a session ended elsewhere).
    private func signedIn(_ request: Request) throws -> LibraryCookie.Value {
        guard let value = cookies.value(LibraryCookie.find(LibraryCookie.name, in: request.headers[.cookie])),
            try self.read({ try devices.endedReason(value.session) }) == nil
        else {
            throw HTTPProblem(
                status: 401, kind: .unauthorized, title: "Sign-in needed",
                detail: "open the link from your purchase e-mail on this device, or ask for a fresh one")
        }
        return value
    }

    /// The catalog's courses that the buyer's live grants open, in catalog order.
    private func ownedCourses(buyer: Int64) throws -> [BuildManifest.CourseEntry] {
        let grants = try library.liveGrants(buyer: buyer)
        return bundle.manifest.courses.filter { course in grants.contains { course.isOpened(by: $0.product) } }
    }

    private func read<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw HTTPProblem.storeUnavailable(cause: "\(error)") }
    }
}
