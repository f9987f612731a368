import Foundation
import LecternCore

/// What neither `lectern check` nor `lectern build` lets reach readers: a link to a heading that does not
/// exist, and a free page quoting a paid lesson verbatim (free pages and `search-index.json` are anyone's).
/// The check lists every case; the build refuses the first, naming how many there are.
enum PublicationRules {
    /// Links whose `#fragment` names no heading of a content page.
    static func brokenAnchors(
        _ anchors: [(file: String, anchor: PageRenderer.Anchor)], headings: [String: Set<String>]
    ) -> [CheckProblem] {
        anchors.compactMap { file, anchor in
            let decoded = anchor.fragment.removingPercentEncoding ?? anchor.fragment
            // Not a content page (an asset, another site), or a heading it has.
            guard let ids = headings[anchor.page], !ids.contains(decoded) else { return nil }
            return CheckProblem(
                file: file, line: anchor.line, kind: .brokenAnchor,
                message: "`#\(anchor.fragment)` names no heading on \(anchor.page)"
                    + (ids.isEmpty ? "" : " (headings: \(ids.sorted().prefix(6).joined(separator: ", ")))"))
        }
    }

    /// A free page that quotes one of the paid texts, at the line where the quote starts.
    static func quote(
        in free: (source: String, firstLine: Int, body: String, text: String), lint: LeakLint
    ) -> CheckProblem? {
        guard let (quote, paid) = lint.firstQuote(in: free.text) else { return nil }
        return CheckProblem(
            file: free.source, line: line(of: quote, in: free.body, firstLine: free.firstLine),
            kind: .paidTextQuoted, message: LeakLint.message(quote: quote, paidSource: paid))
    }

    /// The build's check, after every page rendered and before anything is published: the first problem
    /// as an error. The windows paid lessons share with free pages (`sharedWindows`) are counted per lesson
    /// and looked for, word by word, in the free pages.
    static func verify(_ results: [PageRenderer.Result], jobs: [PageRenderer.Job]) throws {
        var problems: [CheckProblem] = []
        let quoted = results.filter { !$0.sharedWindows.isEmpty }
        if !quoted.isEmpty {
            var lint = LeakLint()
            for paid in quoted { lint.addPaid(windows: paid.sharedWindows, source: paid.source) }
            for (job, free) in zip(jobs, results) where free.isPublic {
                let source = job.source
                if let problem = quote(in: (free.source, source.firstLine, source.body, free.proseText), lint: lint) {
                    problems.append(problem)
                }
            }
        }
        var headings: [String: Set<String>] = [:]
        var anchors: [(file: String, anchor: PageRenderer.Anchor)] = []
        for result in results {
            headings[result.url] = Set(result.headingIDs)
            anchors += result.anchors.map { (result.source, $0) }
        }
        problems += brokenAnchors(anchors, headings: headings)
        if let error = refusal(problems) { throw error }
    }

    /// The build's error for the first problem, counting the others.
    static func refusal(_ problems: [CheckProblem]) -> LecternError? {
        guard let first = problems.first else { return nil }
        let more = problems.count > 1 ? " (and \(problems.count - 1) more: `lectern check` lists them)" : ""
        let hint =
            first.kind == .paidTextQuoted
            ? "rephrase or shorten the quote, or make this lesson paid: free pages and the search index are public"
            : "link to one of the headings the message names, or fix the heading"
        return LecternError(.content, file: first.file, line: first.line, first.message + more, hint: hint)
    }

    /// The body line where a quote's first words are (the front matter's lines counted), else the first.
    static func line(of quote: String, in body: String, firstLine: Int) -> Int {
        let lead = Array(Words.of(quote).prefix(3))
        for (offset, line) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let words = Words.of(String(line))
            if words.indices.contains(where: { Array(words[$0...].prefix(lead.count)) == lead }) {
                return firstLine + offset
            }
        }
        return firstLine
    }
}
