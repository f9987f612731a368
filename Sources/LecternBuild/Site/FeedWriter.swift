import Foundation
import LecternConfig
import LecternCore

/// `sitemap.xml` and the Atom feed. Both list only public pages (the home page, course landing pages
/// and free lessons): paid lessons are neither listed nor summarized, as other generators have leaked
/// members-only text exactly through feeds and sitemaps.
struct FeedWriter {
    struct Entry {
        var title: String
        var path: String
        var summary: String
        var date: Date
    }

    let config: SiteConfig
    private let formatter: ISO8601DateFormatter = {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter
    }()

    func sitemap(_ entries: [Entry]) -> String {
        var xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
        for entry in entries {
            xml +=
                "  <url><loc>\(escape(config.baseURL + entry.path))</loc><lastmod>\(day(entry.date))</lastmod></url>\n"
        }
        return xml + "</urlset>\n"
    }

    func atom(_ entries: [Entry], updated: Date) -> String {
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom" xml:lang="\(escape(config.language))">
              <title>\(escape(config.title))</title>
              <id>\(escape(config.baseURL))/</id>
              <link href="\(escape(config.baseURL))/"/>
              <link rel="self" href="\(escape(config.baseURL))/feed.xml"/>
              <updated>\(timestamp(updated))</updated>
              <author><name>\(escape(config.author.isEmpty ? config.title : config.author))</name></author>

            """
        for entry in entries.sorted(by: { $0.date > $1.date }) {
            xml += """
                  <entry>
                    <title>\(escape(entry.title))</title>
                    <id>\(escape(config.baseURL + entry.path))</id>
                    <link href="\(escape(config.baseURL + entry.path))"/>
                    <updated>\(timestamp(entry.date))</updated>
                    <summary>\(escape(entry.summary))</summary>
                  </entry>

                """
        }
        return xml + "</feed>\n"
    }

    private func escape(_ text: String) -> String { MarkupEscaping.escape(text) }

    private func timestamp(_ date: Date) -> String { formatter.string(from: date) }

    private func day(_ date: Date) -> String { String(timestamp(date).prefix(10)) }
}
