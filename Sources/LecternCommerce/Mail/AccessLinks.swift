import Foundation
import LecternCore
import LecternStore

/// Signed links to a course and the e-mail that delivers them (queued in the outbox, in the caller's
/// transaction, so a grant never exists without its e-mail or the other way round).
public struct AccessLinks: Sendable {
    /// The key links are signed with now (lecternd follows `keys/`, see `LiveSigner`).
    public var signer: TokenSigner { currentSigner() }
    private let currentSigner: @Sendable () -> TokenSigner
    public let baseURL: String
    public let lifetime: Int
    public let siteTitle: String
    /// The built catalog (course titles, the site's wording), read when an e-mail is made: the daemon's
    /// live bundle, or the CLI's copy; nil before any build (English, the product id as title).
    public let manifest: @Sendable () -> BuildManifest?

    public init(
        signer: TokenSigner, baseURL: String, lifetime: Int, siteTitle: String,
        manifest: @escaping @Sendable () -> BuildManifest? = { nil }
    ) {
        self.init(
            currentSigner: { signer }, baseURL: baseURL, lifetime: lifetime, siteTitle: siteTitle, manifest: manifest)
    }

    /// Links signed with whatever key `keys/` makes active (the daemon's).
    public init(
        liveSigner: LiveSigner, baseURL: String, lifetime: Int, siteTitle: String,
        manifest: @escaping @Sendable () -> BuildManifest? = { nil }
    ) {
        self.init(
            currentSigner: liveSigner.current, baseURL: baseURL, lifetime: lifetime, siteTitle: siteTitle,
            manifest: manifest)
    }

    private init(
        currentSigner: @escaping @Sendable () -> TokenSigner, baseURL: String, lifetime: Int, siteTitle: String,
        manifest: @escaping @Sendable () -> BuildManifest?
    ) {
        self.currentSigner = currentSigner
        self.baseURL = baseURL
        self.lifetime = lifetime
        self.siteTitle = siteTitle
        self.manifest = manifest
    }

    /// The token's `sub` is the grant id: opaque, no personal data.
    public static func subject(grant: Int64) -> String { "g_\(grant)" }

    public func link(grant: Int64, product: String, now: Date = Date()) throws -> String {
        let token = try signer.sign(
            AccessClaims(subject: Self.subject(grant: grant), audience: product, issuedAt: now, lifetime: lifetime))
        return SiteRoutes.signedLink(baseURL: baseURL, product: product, token: token)
    }

    /// How long a purchase's or a comp's e-mail is held before it is due (`[mail] hold_seconds`).
    public var hold: TimeInterval = 0

    /// A written e-mail: plain text, nothing escaped.
    public struct Email: Sendable, Equatable {
        public var subject: String
        public var body: String
    }

    /// The e-mail for queued letters to one recipient, written now: one link, the courses the letters are
    /// about in the subject, everything the buyer owns listed, the wording of the weightiest reason (a
    /// purchase before a comp before a re-send). Nil when none of the letters' grants is live any more (a
    /// refund came first): nothing is sent.
    public func compose(_ letters: [Outbox.Message], library: Library, now: Date = Date()) throws -> Email? {
        if letters.first?.kind == .receipt { return try receipt(letters, library: library, now: now) }
        let records = try Set(letters.compactMap(\.grantID)).sorted().compactMap {
            try GrantRecord.load(id: $0, from: library.store)
        }
        let live = records.filter { $0.state(at: now) == .live }
        let letters = letters.filter { letter in live.contains { $0.id == letter.grantID } }
        guard let buyer = live.first?.buyerID else { return nil }
        let kinds = Set(letters.compactMap(\.kind))
        let kind = [EmailKind.gift, .purchase, .comp].first(where: kinds.contains) ?? .resend
        let owned = try library.liveGrants(buyer: buyer, now: now)
        // A re-send is about everything the buyer owns; a purchase or a comp about what it gave.
        let catalog = manifest()
        // In the catalog's order (as the list below), whatever order the grants were made in.
        func rank(_ product: String) -> Int {
            catalog?.courses.firstIndex { $0.isOpened(by: product) } ?? Int.max
        }
        let about = live.filter { grant in
            kind == .resend || letters.contains { $0.grantID == grant.id && $0.kind != .resend }
        }.sorted { rank($0.product) < rank($1.product) }
        guard let first = about.first else { return nil }
        let wording = catalog?.wording ?? .english
        var titles: [String] = []
        for product in (kind == .resend ? owned.map(\.product).sorted { rank($0) < rank($1) } : about.map(\.product)) {
            let title = catalog?.title(of: product) ?? product
            if !titles.contains(title) { titles.append(title) }
        }
        let courses = (catalog?.courses ?? []).filter { course in owned.contains { course.isOpened(by: $0.product) } }
        let list =
            courses.isEmpty
            ? titles.map { "• \($0)" } : courses.map { "• \($0.title)\n  \(baseURL)\(SiteRoutes.landing($0.slug))" }
        var ownedText = list.joined(separator: "\n")
        // A subscriber is told where to change their card or cancel (the provider's portal).
        if let manage = wording.manageSubscription, live.contains(where: \.isSubscription) {
            ownedText += "\n\n" + manage
        }
        let (subject, body) = wording.email(
            kind,
            EmailWording.Values(
                courseTitle: titles.joined(separator: wording.listSeparator), siteTitle: siteTitle,
                link: try link(grant: first.id, product: first.product, now: now), days: lifetime / 86_400,
                courses: ownedText, libraryURL: baseURL + SiteRoutes.library,
                giver: kind == .gift ? try library.giver(ofGrant: first.id) ?? "" : ""))
        return Email(subject: subject, body: body)
    }

    /// A gift's receipt, to the giver: what they gave, to whom, and when it arrives; no link (the access is
    /// the recipient's). Nil when the gift was refunded or revoked before the receipt went out.
    private func receipt(_ letters: [Outbox.Message], library: Library, now: Date) throws -> Email? {
        let gifts = try Set(letters.compactMap(\.grantID)).sorted().compactMap {
            try GrantRecord.load(id: $0, from: library.store)
        }.filter { $0.state(at: now) == .live }
        guard let first = gifts.first else { return nil }
        let catalog = manifest()
        let wording = catalog?.wording ?? .english
        let titles = gifts.map { catalog?.title(of: $0.product) ?? $0.product }
        let delivery = try library.giftDelivery(grant: first.id) ?? now
        let (subject, body) = wording.email(
            .receipt,
            EmailWording.Values(
                courseTitle: titles.joined(separator: wording.listSeparator), siteTitle: siteTitle, link: "",
                days: lifetime / 86_400, libraryURL: baseURL + SiteRoutes.library, recipient: first.email,
                date: wording.date(max(delivery, now))))
        return Email(subject: subject, body: body)
    }
}
