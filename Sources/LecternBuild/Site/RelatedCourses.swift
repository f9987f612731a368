import Foundation
import LecternConfig

/// "Related courses" for each landing page, computed at build time: TF-IDF cosine similarity of the
/// courses' public text (title, summary, landing text, lesson titles, free lessons; never paid text),
/// plus shared tags, plus — when the daemon's database is there — how many buyers bought both.
struct RelatedCourses {
    static let limit = 3
    /// Weights of the three signals; text similarity leads, tags and co-purchases adjust.
    static let tagWeight = 0.25, purchaseWeight = 0.35
    private static let stopWords: Set<String> = [
        "the", "and", "for", "you", "your", "with", "that", "this", "are", "from", "not", "but", "can", "will", "have",
        "has", "its", "into", "one", "all", "our", "out", "how", "what", "when", "who", "why", "use", "more", "than",
        "then", "they", "them", "their", "there", "was", "were", "been", "also", "each", "any", "about", "which",
    ]

    struct Input {
        var slug: String
        var tags: [String]
        var text: String
    }

    /// Related course slugs per course, best first.
    static func compute(_ courses: [Input], coPurchases: [String: [String: Int]] = [:]) -> [String: [String]] {
        let documents = courses.map { terms($0.text) }
        var documentFrequency: [String: Int] = [:]
        for document in documents { for term in document.keys { documentFrequency[term, default: 0] += 1 } }
        let count = Double(courses.count)
        let vectors: [[String: Double]] = documents.map { document in
            let total = Double(document.values.reduce(0, +))
            var vector: [String: Double] = [:]
            for (term, frequency) in document {
                // Smoothed IDF: a term every course shares still counts a little.
                vector[term] =
                    Double(frequency) / max(total, 1)
                    * (log((1 + count) / (1 + Double(documentFrequency[term] ?? 0))) + 1)
            }
            let norm = sqrt(vector.values.reduce(0) { $0 + $1 * $1 })
            return norm > 0 ? vector.mapValues { $0 / norm } : vector
        }
        let mostShared = max(1, coPurchases.values.flatMap(\.values).max() ?? 1)
        var related: [String: [String]] = [:]
        for (i, course) in courses.enumerated() {
            var scores: [(String, Double)] = []
            for (j, other) in courses.enumerated() where i != j {
                let small = vectors[i].count < vectors[j].count ? vectors[i] : vectors[j]
                let large = vectors[i].count < vectors[j].count ? vectors[j] : vectors[i]
                let cosine = small.reduce(0) { $0 + $1.value * (large[$1.key] ?? 0) }
                let tagsA = Set(course.tags.map { $0.lowercased() })
                let tagsB = Set(other.tags.map { $0.lowercased() })
                let jaccard =
                    tagsA.isEmpty && tagsB.isEmpty
                    ? 0 : Double(tagsA.intersection(tagsB).count) / Double(tagsA.union(tagsB).count)
                let bought = Double(coPurchases[course.slug]?[other.slug] ?? 0) / Double(mostShared)
                let score = cosine + tagWeight * jaccard + purchaseWeight * bought
                if score > 0.05 { scores.append((other.slug, score)) }
            }
            related[course.slug] = scores.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(limit).map(\.0)
        }
        return related
    }

    static func terms(_ text: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for word in Words.terms(text)
        where (word.count >= 3 || word.allSatisfy(Words.isCJK)) && !stopWords.contains(word)
            && !word.allSatisfy(\.isNumber)
        {
            counts[word, default: 0] += 1
        }
        return counts
    }

    /// Buyers who bought both courses, from each buyer's basket of products.
    static func coPurchases(_ baskets: [Set<String>], courses: [Course]) -> [String: [String: Int]] {
        var slugByProduct: [String: String] = [:]
        for course in courses {
            slugByProduct[course.slug] = course.slug
            for product in course.productIDs { slugByProduct[product] = course.slug }
        }
        let bought = baskets.map { Set($0.compactMap { slugByProduct[$0] }) }
        var pairs: [String: [String: Int]] = [:]
        for slugs in bought where slugs.count > 1 {
            for a in slugs { for b in slugs where a != b { pairs[a, default: [:]][b, default: 0] += 1 } }
        }
        return pairs
    }
}

/// The products each buyer paid for and kept, one set per buyer and no names: the one thing the builder
/// learns from sales (related courses). The CLI reads it from the store (`PaidPurchases`); empty without one.
public typealias PurchaseBaskets = @Sendable (SiteConfig) -> [Set<String>]
