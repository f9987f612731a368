import Hummingbird
import LecternCommerce
import LecternHTTP
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the client's address, which
/// the rate limits of `/access/resend` and the loopback-only `/metrics` need.
package struct LecternRequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The key a client is rate-limited under (see `ClientAddress`).
    func clientAddress(_ request: Request, trustProxy: Bool) -> String {
        ClientAddress.key(
            forwardedFor: request.headers[.init("X-Forwarded-For")!], peer: remoteAddress?.ipAddress,
            trustProxy: trustProxy)
    }

    /// The client's whole IP address, chosen the same way (see `ClientAddress.ip`).
    func clientIP(_ request: Request, trustProxy: Bool) -> String? {
        ClientAddress.ip(
            forwardedFor: request.headers[.init("X-Forwarded-For")!], peer: remoteAddress?.ipAddress,
            trustProxy: trustProxy)
    }

    /// The client's network and browser family, for the sessions' sharing signals (`DeviceSessions`).
    func clientInfo(_ request: Request, trustProxy: Bool) -> ClientInfo {
        let agent = request.headers[.userAgent]
        return ClientInfo(
            network: ClientAddress.network(ofKey: clientAddress(request, trustProxy: trustProxy)),
            browser: UserAgent.family(agent))
    }
}
