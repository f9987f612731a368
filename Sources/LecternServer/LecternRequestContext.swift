import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the client's address, which
/// the rate limits of `/access/resend` and the loopback-only `/metrics` need.
struct LecternRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text; behind a trusted proxy, the last `X-Forwarded-For` entry
    /// (the one the proxy itself appended).
    func clientAddress(_ request: Request, trustProxy: Bool) -> String {
        if trustProxy, let forwarded = request.headers[.init("X-Forwarded-For")!],
           let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty {
            return last
        }
        return remoteAddress?.ipAddress ?? "unknown"
    }

    var isLoopback: Bool {
        guard let address = remoteAddress?.ipAddress else { return false }
        return address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
