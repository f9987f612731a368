import Crypto
import CryptoExtras
import Foundation
import LecternCore

/// The RSA keys Alipay and WeChat Pay use (SHA256withRSA, PKCS #1 v1.5), read from files the creator
/// downloaded or generated. Each tool writes a different shape, so the common ones are accepted: PEM with
/// PKCS #1 or PKCS #8 (`apiclient_key.pem`, WeChat Pay's `pub_key.pem`), or the bare base64 that Alipay's
/// key tool prints. A certificate is not read here (that would take an X.509 parser); one command turns
/// it into its public key, and the error says which.
enum RSAKeyFile {
    /// A private key: refused when group or others may read the file, as the signing keys are.
    static func privateKey(at path: String, for provider: String) throws -> _RSA.Signing.PrivateKey {
        try requireOwnerOnly(path)
        let text = try read(path, what: "\(provider) private key")
        let pem = text.contains("-----BEGIN") ? text : wrap(text, label: "PRIVATE KEY")
        do {
            return try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            if !text.contains("-----BEGIN"),
                let key = try? _RSA.Signing.PrivateKey(
                    pemRepresentation: wrap(text, label: "RSA PRIVATE KEY"))
            {
                return key
            }
            throw LecternError(
                .keys, file: path, "not an RSA private key of 2048 bits or more (\(error))",
                hint: "use the key \(provider)'s key tool generated: PEM, or the bare base64 it prints")
        }
    }

    static func publicKey(at path: String, for provider: String) throws -> _RSA.Signing.PublicKey {
        let text = try read(path, what: "\(provider) public key")
        if text.contains("-----BEGIN CERTIFICATE-----") {
            throw LecternError(
                .keys, file: path, "this is a certificate; Lectern reads the public key",
                hint: "run `openssl x509 -pubkey -noout -in \(path) > key.pem` and use key.pem")
        }
        do {
            return try _RSA.Signing.PublicKey(
                pemRepresentation: text.contains("-----BEGIN") ? text : wrap(text, label: "PUBLIC KEY"))
        } catch {
            throw LecternError(
                .keys, file: path, "not an RSA public key of 2048 bits or more (\(error))",
                hint: "paste the \(provider) public key as shown on its site, with or without PEM lines")
        }
    }

    /// A shared secret of exactly `bytes` ASCII characters (WeChat Pay's APIv3 key), owner-only like a
    /// private key.
    static func secret(at path: String, bytes: Int, what: String) throws -> SymmetricKey {
        try requireOwnerOnly(path)
        let text = try read(path, what: what)
        guard text.utf8.count == bytes, text.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw LecternError(
                .keys, file: path, "the \(what) must be \(bytes) characters, got \(text.utf8.count)",
                hint: "paste the key exactly as set on the merchant platform, on one line")
        }
        return SymmetricKey(data: Data(text.utf8))
    }

    private static func read(_ path: String, what: String) throws -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LecternError(
                .keys, file: path, "cannot read the \(what)",
                hint: "put it at this path (see docs/payments-china.md), or set its path in lectern.toml")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func wrap(_ base64: String, label: String) -> String {
        let compact = base64.filter { !$0.isWhitespace }
        var lines: [String] = []
        var rest = Substring(compact)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }

    private static func requireOwnerOnly(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }  // read() reports the missing file
        if info.st_mode & 0o077 != 0 {
            throw LecternError(
                .keys, file: path,
                "secret key file is readable by other users (mode \(String(info.st_mode & 0o777, radix: 8)))",
                hint: "run `chmod 600 \(path)`, and consider the key leaked if others could log in")
        }
    }
}
