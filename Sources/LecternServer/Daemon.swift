import Foundation
import Hummingbird
import LecternKit
import Logging

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

    let config: SiteConfig
    let store: Store
    let application: Application<RouterResponder<BasicRequestContext>>

    public init(options: Options, environment: [String: String] = ProcessInfo.processInfo.environment,
                onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws {
        var logger = Logger(label: "lecternd")
        logger.logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        config = try SiteConfig.load(root: options.root)
        store = try Store(path: options.database ?? Store.defaultPath(for: config))

        let manifestURL = config.url(config.paidDir).appendingPathComponent(BuildManifest.fileName)
        guard let manifest = try? BuildManifest.load(from: manifestURL) else {
            throw LecternError(.config, file: manifestURL.path, "no built site to serve", hint: "run `lectern build` first")
        }
        let keys = KeyStore(config: config)
        let links = AccessLinks(signer: try TokenSigner(keys: keys), baseURL: config.baseURL,
                                lifetime: config.tokens.lifetime, siteTitle: config.title)
        let processor = WebhookProcessor(store: store, catalog: manifest.courses, links: links)

        let transport: any MailTransport
        switch config.mail.transport {
        case .file:
            transport = FileMailTransport(folder: config.url(config.mail.folder), from: config.mail.from)
        case .smtp:
            transport = SMTPMailTransport(host: config.mail.smtpHost, port: config.mail.smtpPort, startTLS: config.mail.startTLS,
                                          from: config.mail.from, user: environment["LECTERN_SMTP_USER"],
                                          password: environment["LECTERN_SMTP_PASSWORD"])
        }

        let router = Router()
        WebhookRoutes(processor: processor, secrets: .fromEnvironment(environment), maxBodyBytes: config.daemon.maxBodyBytes,
                      logger: logger).register(on: router)
        AccessRoutes(store: store, links: links, keys: keys, claimWait: .seconds(config.daemon.claimWaitSeconds)).register(on: router)

        let host = options.host ?? config.daemon.host
        let port = options.port ?? config.daemon.port
        application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "lecternd"),
            services: [OutboxService(sender: OutboxSender(store: store, transport: transport, logger: logger))],
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, finishes in-flight requests and returns.
    public func run() async throws {
        try await application.runService()
    }
}
