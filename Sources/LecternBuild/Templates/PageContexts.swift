import Foundation
import LecternConfig
import LecternCore

/// Builds the values each layout sees. Kept in one place so a creator editing templates has one list
/// of names to learn (documented in site-template/README.md).
///
/// Only public facts go here for public pages: titles of paid lessons appear in syllabi, their text
/// never does (the paid body is only passed to the paid-lesson layout).
struct PageContexts {
    let config: SiteConfig
    let buildYear: String

    init(config: SiteConfig, now: Date = Date()) {
        self.config = config
        buildYear = String(Calendar(identifier: .gregorian).component(.year, from: now))
    }

    func site() -> [String: Any] {
        [
            "title": config.title, "description": config.description, "base_url": config.baseURL,
            "language": config.language, "author": config.author, "year": buildYear,
        ]
    }

    func page(title: String, description: String, path: String) -> [String: Any] {
        ["title": title, "description": description, "path": path, "canonical": config.baseURL + path]
    }

    func courseSummary(_ course: Course) -> [String: Any] {
        [
            "slug": course.slug, "title": course.title, "summary": course.summary, "url": course.landingPath,
            "price": course.price.display(language: config.language), "is_free": course.price.isFree,
            "pay_what_you_want": course.pricing.isPayWhatYouWant,
            "min_price": course.pricing.minimum?.display(language: config.language) ?? "",
            "regional": course.pricing.regional.map { $0.display(language: config.language) }.joined(separator: " · "),
            "buy_url": course.buyURL, "pay_form": !course.checkoutProviders.isEmpty,
            "pay_alipay": course.checkoutProviders.contains(.alipay),
            "pay_wechat": course.checkoutProviders.contains(.wechatpay),
            "pay_default": course.checkoutProviders.first?.rawValue ?? "",
            "tags": course.tags, "lesson_count": course.lessons.count,
            "free_count": course.lessons.filter(\.isFree).count,
        ]
    }

    /// Lessons grouped by module, in reading order; lessons outside modules form an untitled group.
    func syllabus(_ course: Course) -> [[String: Any]] {
        var groups: [(module: Module?, lessons: [[String: Any]])] = []
        for (index, lesson) in course.lessons.enumerated() {
            var item: [String: Any] = [
                "number": index + 1, "title": lesson.title, "url": lesson.path, "free": lesson.isFree,
                "locked": !lesson.isFree,
            ]
            if let days = lesson.availableAfterDays, days > 0 { item["available_after_days"] = days }
            if let last = groups.last, last.module == lesson.module {
                groups[groups.count - 1].lessons.append(item)
            } else {
                groups.append((lesson.module, [item]))
            }
        }
        return groups.map { ["title": $0.module?.title ?? "", "has_title": $0.module != nil, "lessons": $0.lessons] }
    }

    func home(_ catalog: Catalog) -> [String: Any] {
        [
            "site": site(), "page": page(title: config.title, description: config.description, path: "/"),
            "courses": catalog.courses.map(courseSummary), "has_courses": !catalog.courses.isEmpty,
            "bundles": catalog.bundles.filter { !$0.courses.isEmpty }.map(bundleSummary),
            "has_bundles": catalog.bundles.contains { !$0.courses.isEmpty },
        ]
    }

    func course(_ course: Course, bodyHTML: String, related: [Course] = []) -> [String: Any] {
        var summary = courseSummary(course)
        summary["body"] = bodyHTML
        let firstFree = course.lessons.first(where: \.isFree)
        return [
            "site": site(), "page": page(title: course.title, description: course.summary, path: course.landingPath),
            "course": summary, "syllabus": syllabus(course),
            "first_free_url": firstFree?.path ?? "", "has_free": firstFree != nil,
            "related": related.map(courseSummary), "has_related": !related.isEmpty,
        ]
    }

    /// The `syllabus` partial rendered once per course. Lesson pages get it as `syllabus_html` with the
    /// current lesson's link marked `aria-current="page"`: rendering a 100-lesson syllabus into each
    /// of 100 lesson pages was most of a build's time.
    func syllabusHTML(_ course: Course, templates: TemplateSet) -> String {
        templates.renderPartial(
            "syllabus", ["site": site(), "course": courseSummary(course), "syllabus": syllabus(course)]) ?? ""
    }

    static func markCurrent(_ lesson: Lesson, in syllabusHTML: String) -> String {
        let link = "href=\"\(lesson.path)\""
        return ByteSearch.replacingFirst(link, with: link + " aria-current=\"page\"", in: syllabusHTML)
    }

    /// Context for a lesson page; `content` is the lesson HTML (or a placeholder for paid pages).
    func lesson(
        _ lesson: Lesson, in course: Course, content: String, description: String, syllabusHTML: String
    ) -> [String: Any] {
        let index = course.lessons.firstIndex { $0.slug == lesson.slug } ?? 0
        func neighbour(_ i: Int) -> [String: Any]? {
            guard course.lessons.indices.contains(i) else { return nil }
            let other = course.lessons[i]
            return ["title": other.title, "url": other.path, "locked": !other.isFree]
        }
        var context: [String: Any] = [
            "site": site(),
            "page": page(title: "\(lesson.title) · \(course.title)", description: description, path: lesson.path),
            "course": courseSummary(course), "syllabus_html": Self.markCurrent(lesson, in: syllabusHTML),
            "lesson": [
                "title": lesson.title, "number": index + 1, "free": lesson.isFree,
                "module": lesson.module?.title ?? "", "url": lesson.path,
            ],
            "content": content,
            "downloads": SiteRoutes.editions(course.slug),
        ]
        if let prev = neighbour(index - 1) { context["prev"] = prev }
        if let next = neighbour(index + 1) { context["next"] = next }
        return context
    }

    /// A gate page at build time: the notice's flags, and slot marks (`GateShell.Slot`) where lecternd puts
    /// each request's values.
    func gate(_ variant: GateShell.Variant, title: String) -> [String: Any] {
        var page = page(title: title, description: "", path: "/")
        page["noindex"] = true
        var context: [String: Any] = [
            "site": site(), "page": page, "notice": [variant.notice: true],
            "lesson": ["title": GateShell.Slot.lessonTitle.mark],
            "date": ["text": GateShell.Slot.date.mark, "iso": GateShell.Slot.dateISO.mark],
            "minutes": GateShell.Slot.minutes.mark, "path": GateShell.Slot.path.mark,
            "order": GateShell.Slot.order.mark, "price": GateShell.Slot.price.mark,
            "qr_image": GateShell.Slot.qrImage.mark,
            "manage_subscription_url": config.subscriptions.manageURL ?? "",
        ]
        if variant.hasCourse {
            context["course"] = [
                "title": GateShell.Slot.courseTitle.mark, "slug": GateShell.Slot.courseSlug.mark,
                "buy_url": GateShell.Slot.buyURL.mark,
            ]
        }
        if let reason = variant.reason { context["reason"] = [reason: true] }
        return context
    }

    /// The library page: the same for everyone (its script asks lecternd who is signed in); not indexed.
    func library(title: String) -> [String: Any] {
        var page = page(title: title, description: "", path: SiteRoutes.library)
        page["noindex"] = true
        return ["site": site(), "page": page]
    }

    func notFound(title: String) -> [String: Any] {
        ["site": site(), "page": page(title: title, description: "", path: "/404.html")]
    }
}
