import Foundation
import LecternCore

/// The settings in `lectern.toml`. Every key is known here; an unknown key is an error naming it,
/// because a misspelt `alow_raw_html` silently doing nothing is worse than a failed build.
public struct SiteConfig: Sendable {
    public static let fileName = "lectern.toml"

    /// The folder holding `lectern.toml`; relative paths below are resolved against it.
    public var root: URL
    public var title: String
    /// Absolute URL of the site (used in the feed, sitemap and signed links), without a trailing slash.
    public var baseURL: String
    public var language: String
    public var description: String
    public var author: String
    /// Default ISO 4217 currency for courses that do not name one.
    public var currency: String

    public var contentDir: String
    public var templateDir: String
    public var publicDir: String
    public var paidDir: String
    /// Raw HTML inside Markdown passes through only when the creator opts in.
    public var allowRawHTML: Bool
    /// Buy-button URL for courses without their own `buy_url`; `{course}` is replaced by the slug.
    public var buyURLTemplate: String?

    /// Products other than courses (`[products.<id>]`), each with its price.
    public var products: [ProductSetting]
    public var subscriptions = SubscriptionSettings()

    public var tokens: TokenSettings
    public var daemon: DaemonSettings
    public var mail: MailSettings
    /// `[alipay]`: nil unless the creator sells through Alipay.
    public var alipay: AlipaySettings?
    /// `[wechatpay]`: nil unless the creator sells through WeChat Pay.
    public var weChatPay: WeChatPaySettings?

    /// Defaults of a new site; `load` overrides them from the file.
    public init(root: URL) {
        self.root = root
        title = "My courses"
        baseURL = "http://127.0.0.1:8080"
        language = "en"
        description = ""
        author = ""
        currency = "USD"
        contentDir = "content"
        templateDir = "site-template"
        publicDir = "public"
        paidDir = "paid"
        allowRawHTML = false
        buyURLTemplate = nil
        products = []
        tokens = TokenSettings()
        daemon = DaemonSettings()
        mail = MailSettings()
    }

    public func url(_ relative: String) -> URL {
        relative.hasPrefix("/") ? URL(fileURLWithPath: relative) : root.appendingPathComponent(relative)
    }

    /// Reads `root/lectern.toml`.
    public static func load(root: URL) throws -> SiteConfig {
        let file = root.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw LecternError(
                .config, file: fileName, "no \(fileName) in \(root.path)",
                hint: "run `lectern init` to create a site, or pass --root DIR")
        }
        let text = try TextFile.read(file, displayPath: fileName, step: .config)
        return try parse(text, root: root)
    }

    package static func parse(_ text: String, root: URL) throws -> SiteConfig {
        let table = try TOMLSettingsReader.read(text, file: fileName, step: .config)
        try table.rejectUnknownKeys(allowed: [
            "title", "base_url", "language", "description", "author",
            "currency", "build", "products", "tokens", "daemon", "mail", "alipay", "wechatpay", "subscriptions",
        ])
        var config = SiteConfig(root: root)
        config.title = try table.string("title") ?? config.title
        if let base = try table.string("base_url") {
            guard let url = URL(string: base), let scheme = url.scheme, ["http", "https"].contains(scheme),
                url.host != nil
            else {
                throw table.error("base_url", "`base_url` must be an absolute http(s) URL, got \"\(base)\"")
            }
            config.baseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
        }
        config.language = try table.string("language") ?? config.language
        config.description = try table.string("description") ?? config.description
        config.author = try table.string("author") ?? config.author
        if let currency = try table.string("currency") {
            guard Money(decimal: "0", currency: currency) != nil else {
                throw table.error("currency", "`currency` must be a three-letter ISO 4217 code such as \"USD\"")
            }
            config.currency = currency.uppercased()
        }
        if let build = try table.table("build") {
            try config.applyBuild(build)
        }
        if let products = try table.table("products") {
            config.products = try ProductSetting.all(in: products, defaultCurrency: config.currency)
        }
        if let tokens = try table.table("tokens") {
            config.tokens = try TokenSettings(tokens)
        }
        if let daemon = try table.table("daemon") {
            config.daemon = try DaemonSettings(daemon)
        }
        if let subscriptions = try table.table("subscriptions") {
            config.subscriptions = try SubscriptionSettings(subscriptions)
        }
        if let mail = try table.table("mail") {
            config.mail = try MailSettings(mail)
        }
        if let alipay = try table.table("alipay") {
            config.alipay = try AlipaySettings(alipay, headerLine: table.line(of: "alipay"))
        }
        if let wechat = try table.table("wechatpay") {
            config.weChatPay = try WeChatPaySettings(wechat, headerLine: table.line(of: "wechatpay"))
        }
        return config
    }

    private mutating func applyBuild(_ build: SettingsTable) throws {
        try build.rejectUnknownKeys(
            allowed: [
                "content_dir", "template_dir", "public_dir", "paid_dir",
                "allow_raw_html", "buy_url",
            ], section: "build")
        contentDir = try build.string("content_dir") ?? contentDir
        templateDir = try build.string("template_dir") ?? templateDir
        publicDir = try build.string("public_dir") ?? publicDir
        paidDir = try build.string("paid_dir") ?? paidDir
        allowRawHTML = try build.bool("allow_raw_html") ?? allowRawHTML
        buyURLTemplate = try build.string("buy_url")
        let publicPath = url(publicDir).standardizedFileURL.path + "/"
        let paidPath = url(paidDir).standardizedFileURL.path + "/"
        if paidPath.hasPrefix(publicPath) || publicPath.hasPrefix(paidPath) {
            throw build.error(
                "paid_dir", "`build.paid_dir` and `build.public_dir` must not contain each other",
                hint: "paid lessons inside the public folder would be published; use e.g. \"public\" and \"paid\"")
        }
    }
}
