import Foundation
import LecternConfig
import LecternCore

/// `lectern check --production`: what works on a laptop and fails a live shop — values `lectern init`
/// left (compared with the starter site it copies, so nothing here repeats its words), a base URL on this
/// machine or without TLS, e-mail written to files, no signing key. Each is an error: a deploy script can
/// run `lectern check --production` and stop.
struct ProductionCheck {
    let config: SiteConfig
    let courses: [Course]
    /// The starter `lectern init` copied (nil when it is not on this machine: those checks are skipped).
    let starter: URL?

    func problems() -> [CheckProblem] {
        var found: [CheckProblem] = []
        let file = SiteConfig.fileName
        let text = (try? String(contentsOf: config.url(file), encoding: .utf8)) ?? ""
        /// The line of `key = …` in lectern.toml, to point at.
        func line(_ key: String) -> Int? {
            text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex {
                $0.trimmingCharacters(in: .whitespaces).hasPrefix(key + " ")
                    || $0.trimmingCharacters(in: .whitespaces).hasPrefix(key + "=")
            }.map { $0 + 1 }
        }
        func problem(_ key: String?, _ message: String) {
            found.append(
                CheckProblem(file: file, line: key.flatMap(line), kind: .production, message: message))
        }

        let host = URL(string: config.baseURL)?.host ?? ""
        if ["127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0"].contains(host) {
            problem(
                "base_url", "`base_url` \(config.baseURL) is this machine: links in e-mails open nowhere for buyers")
        } else if !config.baseURL.hasPrefix("https:") {
            problem("base_url", "`base_url` is not https: access cookies travel unprotected and are not Secure")
        }
        if config.daemon.cookieSecure == false {
            problem("cookie_secure", "`cookie_secure = false` sends access cookies over plain HTTP")
        }
        if config.mail.transport == .file {
            problem(
                nil, "[mail] writes e-mails to files in \(config.mail.folder)/, not to buyers: set transport = \"smtp\""
            )
        }
        let keys = config.url(config.tokens.keysDir)
        if !FileManager.default.fileExists(atPath: keys.appendingPathComponent("active").path) {
            problem(
                nil, "no signing key in \(config.tokens.keysDir)/: run `lectern keys generate`, and back the folder up")
        }

        // Left from `lectern init`: the starter's own values and courses.
        guard let starter, let example = try? SiteConfig.load(root: starter) else { return found }
        for (key, value, starterValue) in [
            ("title", config.title, example.title), ("author", config.author, example.author),
            ("description", config.description, example.description),
        ] where !value.isEmpty && value == starterValue {
            problem(key, "`\(key)` is still the example site's (\"\(value)\")")
        }
        if let buy = config.buyURLTemplate, buy == example.buyURLTemplate {
            problem("buy_url", "`buy_url` is still the example's (\(buy)): buy buttons lead nowhere")
        }
        let exampleCourses = Set(
            (try? FileManager.default.contentsOfDirectory(
                atPath: starter.appendingPathComponent(example.contentDir).path)) ?? [])
        for course in courses where exampleCourses.contains(course.slug) && !course.isDraft {
            found.append(
                CheckProblem(
                    file: course.sourcePath, line: 1, kind: .production,
                    message: "the example course `\(course.slug)` is still published: delete its folder or mark it "
                        + "`draft: true`"))
        }
        return found
    }
}
