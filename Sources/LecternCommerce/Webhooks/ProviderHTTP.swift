import Foundation
import LecternCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A request to a payment provider's API (WeChat Pay's orders, Stripe's sessions) through Foundation's
/// `URLSession`: the answer, or a 502 problem naming the provider (the page shows it; nothing of the answer
/// reaches a buyer unchecked).
enum ProviderHTTP {
    static func send(
        _ request: URLRequest, to provider: String, limit: Int
    ) async throws(HTTPProblem) -> (Data, HTTPURLResponse) {
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw .providerFailed("\(provider) could not be reached: \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse, data.count <= limit else {
            throw .providerFailed("\(provider)'s answer is not HTTP, or too large")
        }
        return (data, http)
    }
}
