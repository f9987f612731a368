import Foundation
import Hummingbird
import LecternCommerce
import LecternConfig
import LecternCore
import LecternHTTP
import LecternPostgres
import LecternStore
import Logging
import NIOCore

/// lecternd: everything wired together from `lectern.toml`, the environment and the built site.
public struct Daemon: Sendable {
    public struct Options: Sendable {
        public var root: URL
        public var host: String?
        public var port: Int?
        public var database: String?

        public init(root: URL, host: String? = nil, port: Int? = nil, database: String? = nil) {
            self.root = root
            self.host = host
            self.port = port
            self.database = database
        }
    }

    /// Requests whose headers total more than this get 431.
    static let headerLimit = 16 * 1024

    let config: SiteConfig
    let store: Store
    /// Where buyers' EPUB and PDF editions are kept (see `editionsFolder(sqlite:root:)`).
    let editionsFolder: URL
    let application: Application<RouterResponder<LecternRequestContext>>

    public init(
        options: Options, environment: [String: String] = ProcessInfo.processInfo.environment,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws {
        var logger = Logger(label: "lecternd")
        logger.logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        config = try SiteConfig.load(root: options.root)
        store = try Store.open(
            Store.location(option: options.database, default: config.databaseLocation, environment: environment),
            environment: environment)

        let bundle = try LiveBundle(directory: config.url(config.paidDir))
        let keys = KeyStore(config: config)
        var links = AccessLinks(
            liveSigner: try LiveSigner(store: keys), baseURL: config.baseURL,
            lifetime: config.tokens.lifetime, siteTitle: config.title, manifest: { bundle.manifest })
        links.hold = TimeInterval(config.mail.holdSeconds)
        let processor = WebhookProcessor(
            store: store, catalog: { bundle.manifest.sale(for: $0) }, links: links,
            subscriptionGrace: TimeInterval(config.subscriptions.graceSeconds),
            disputePolicy: config.daemon.revokeOnDispute)
        let secret = try keys.watermarkSecret()
        let pages = GatePages(bundle: bundle)
        let gate = Gate(
            bundle: bundle, store: store, verifier: TokenVerifier(liveKeys: try LiveKeys(store: keys)),
            cookies: AccessCookie(secret: secret), libraryCookie: LibraryCookie(secret: secret),
            watermarker: Watermarker(fingerprint: Fingerprint(secret: secret)), pages: pages,
            accessLifetime: config.tokens.lifetime,
            devices: DeviceSessions(store: store, maxDevices: config.daemon.maxDevices))
        let metrics = RequestMetrics()
        let sender = OutboxSender(
            store: store, transport: Self.mailTransport(config, environment), logger: logger,
            concurrency: config.mail.concurrency, from: config.mail.from, links: links)
        let health = DaemonHealth(store: store, sender: sender, build: { bundle.manifest.builtAt })

        editionsFolder = Self.editionsFolder(sqlite: store.path, root: options.root)
        let editions = EditionShelf(
            bundle: bundle, watermarker: gate.watermarker, folder: editionsFolder,
            stylesheet: config.url(config.publicDir).appendingPathComponent("edition.css"),
            printer: EditionPrinter.find(environment: environment), baseURL: config.baseURL)

        // Limits per hour: in memory on one node; with several nodes sharing PostgreSQL, counted in it, so the
        // nodes together allow what one would.
        let counters = store.path == nil ? RateCounters(store: store) : nil
        let limiterLog = logger
        func limiter(_ limit: Int) -> any RequestLimiter {
            guard let counters else { return RateLimiter(limit: limit, per: 3_600) }
            return SharedRateLimiter(counters: counters, limit: limit, period: 3_600, logger: limiterLog)
        }
        let router = Router(context: LecternRequestContext.self)
        router.add(middleware: MetricsMiddleware(metrics: metrics, logger: logger))
        router.add(middleware: HeaderLimitMiddleware(limit: Self.headerLimit))
        var alipay: AlipayAccount?
        if let settings = config.alipay { alipay = try AlipayAccount(settings: settings, config: config) }
        var weChatPay: WeChatPayAccount?
        if let settings = config.weChatPay { weChatPay = try WeChatPayAccount(settings: settings, config: config) }
        let checkouts = Checkouts(store: store)
        // A secret that cannot verify anything is refused at start, not answered 500 on every webhook.
        if let standard = WebhookSecrets.fromEnvironment(environment).standard,
            WebhookSignatures.standardKey(standard) == nil
        {
            throw LecternError(
                .config, "LECTERN_STANDARD_WEBHOOK_SECRET is not a Standard Webhooks secret",
                hint: "copy it whole from the sender: whsec_ followed by base64")
        }
        WebhookRoutes(
            processor: processor, secrets: .fromEnvironment(environment), alipay: alipay, weChatPay: weChatPay,
            checkouts: checkouts,
            maxBodyBytes: config.daemon.maxBodyBytes, logger: logger, metrics: metrics
        ).register(on: router)
        CheckoutRoutes(
            alipay: alipay, weChatPay: weChatPay, checkouts: checkouts, bundle: bundle, pages: pages,
            perClient: limiter(config.daemon.checkoutsPerClient),
            trustProxy: config.daemon.trustProxy
        ).register(on: router)
        let secureCookies = config.daemon.cookieSecure ?? config.baseURL.hasPrefix("https:")
        let stripeAPI = try StripeAPI(environment: environment)
        AccessRoutes(
            store: store, keys: keys, gate: gate,
            claims: CheckoutClaims(store: store, window: TimeInterval(config.daemon.claimWindowMinutes * 60)),
            instantAccess: stripeAPI.map { InstantAccess(api: $0, processor: processor) }, logger: logger,
            claimWait: .seconds(config.daemon.claimWaitSeconds), pages: pages, health: health,
            perAddress: limiter(config.daemon.resendPerAddress),
            perClient: limiter(config.daemon.resendPerClient),
            claimsPerClient: limiter(config.daemon.claimsPerClient),
            trustProxy: config.daemon.trustProxy, secureCookies: secureCookies, metrics: metrics,
            metricsAccess: try MetricsAccess(environment: environment)
        ).register(on: router)
        let publicSite = PublicSiteRoutes(files: StaticFiles(root: config.url(config.publicDir)), pages: pages)
        LibraryRoutes(
            bundle: bundle, library: Library(store: store), cookies: LibraryCookie(secret: secret),
            devices: gate.devices, secureCookies: secureCookies
        ).register(on: router)
        GateRoutes(
            gate: gate, publicSite: publicSite, secureCookies: secureCookies, trustProxy: config.daemon.trustProxy,
            editions: editions, downloads: limiter(config.daemon.downloadsPerHour)
        ).register(on: router)
        publicSite.register(on: router)

        let headTimeout = TimeAmount.seconds(Int64(config.daemon.headerTimeoutSeconds))
        let bodyTimeout = TimeAmount.seconds(Int64(config.daemon.bodyTimeoutSeconds))
        StartupSummary(
            config: config, secrets: .fromEnvironment(environment), signingKey: links.signer.kid,
            manifest: bundle.manifest, instantAccess: stripeAPI != nil, printer: editions.printer?.chromium
        ).log(to: logger)
        let host = options.host ?? config.daemon.host
        let port = options.port ?? config.daemon.port
        application = Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [
                        RequestDeadlineHandler(headTimeout: headTimeout, bodyTimeout: bodyTimeout)
                    ],
                    idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(host, port: port), serverName: "lecternd"),
            services: [
                OutboxService(sender: sender),
                SessionActivityService(devices: gate.devices, logger: logger),
                HealthService(store: store, build: { bundle.manifest.builtAt }),
                RetentionService(
                    store: store, rawBodyRetention: TimeInterval(config.daemon.rawBodyRetention), editions: editions,
                    logger: logger),
            ],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// Buyers' editions are kept beside the SQLite database (private like it, and on the same disk), or on
    /// PostgreSQL beside `lectern.toml`: each node keeps its own (they are remade from the bundle).
    static func editionsFolder(sqlite path: String?, root: URL) -> URL {
        guard let path else { return root.appendingPathComponent("editions") }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("editions")
    }

    static func mailTransport(_ config: SiteConfig, _ environment: [String: String]) -> any MailTransport {
        switch config.mail.transport {
        case .file:
            return FileMailTransport(folder: config.url(config.mail.folder), from: config.mail.from)
        case .smtp:
            return SMTPMailTransport(
                host: config.mail.smtpHost, port: config.mail.smtpPort, startTLS: config.mail.startTLS,
                from: config.mail.from, user: environment["LECTERN_SMTP_USER"],
                password: environment["LECTERN_SMTP_PASSWORD"])
        }
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, finishes in-flight requests and returns.
    public func run() async throws {
        try await application.runService()
    }
}
