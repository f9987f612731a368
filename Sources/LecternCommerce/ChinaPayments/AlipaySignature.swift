import Crypto
import CryptoExtras
import Foundation

/// Alipay's RSA2 scheme, both ways: a request's parameters (all but `sign`) and a notification's (all
/// but `sign` and `sign_type`) sorted by name, joined as `name=value` with `&` (values not encoded), and
/// signed SHA256withRSA (PKCS #1 v1.5), the signature base64 in `sign`.
enum AlipaySignature {
    /// The string that is signed. `skippingEmpty`: Alipay's own SDKs leave out empty values when they
    /// sign; some libraries keep them (`name=`), so a notification is checked both ways.
    static func content(
        of parameters: [String: String], excluding: Set<String>, skippingEmpty: Bool = true
    )
        -> String
    {
        parameters.keys.filter { !excluding.contains($0) && !(skippingEmpty && parameters[$0, default: ""].isEmpty) }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .map { "\($0)=\(parameters[$0, default: ""])" }
            .joined(separator: "&")
    }

    static func sign(_ content: String, with key: _RSA.Signing.PrivateKey) throws -> String {
        try key.signature(for: SHA256.hash(data: Data(content.utf8)), padding: .insecurePKCS1v1_5)
            .rawRepresentation.base64EncodedString()
    }

    /// Whether Alipay's key signed these notification parameters.
    static func isValid(notification parameters: [String: String], key: _RSA.Signing.PublicKey) -> Bool {
        guard let text = parameters["sign"], text.utf8.count <= 2_048, let raw = Data(base64Encoded: text) else {
            return false
        }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: raw)
        let excluded: Set<String> = ["sign", "sign_type"]
        for skippingEmpty in [true, false] {
            let content = content(of: parameters, excluding: excluded, skippingEmpty: skippingEmpty)
            if key.isValidSignature(signature, for: SHA256.hash(data: Data(content.utf8)), padding: .insecurePKCS1v1_5)
            {
                return true
            }
            if !parameters.values.contains("") { break }  // the same string both ways
        }
        return false
    }
}
