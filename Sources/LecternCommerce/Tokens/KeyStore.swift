import Crypto
import Foundation
import LecternConfig
import LecternCore

/// The folder of Ed25519 signing keys (`[tokens] keys_dir`, default `keys/`).
///
/// Layout: `<kid>.private` (base64url raw 32-byte seed, mode 0600), `<kid>.public` (base64url raw
/// key), `active` (the kid that signs new tokens). Every key present verifies, so rotating is:
/// generate a new key (it becomes active), wait until tokens signed by the old one expire, remove it.
/// The folder also holds `watermark.secret`, the key of the invisible fingerprints.
public struct KeyStore: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public init(config: SiteConfig) { self.init(directory: config.url(config.tokens.keysDir)) }

    // MARK: Reading

    /// Public keys by kid: everything that may verify a token.
    public func verificationKeys() throws -> [String: Curve25519.Signing.PublicKey] {
        var keys: [String: Curve25519.Signing.PublicKey] = [:]
        for name in try names(withSuffix: ".public") {
            let kid = String(name.dropLast(".public".count))
            let text = try read(name)
            guard let raw = Base64URL.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
            else {
                throw LecternError(
                    .keys, file: path(name), "not an Ed25519 public key",
                    hint: "remove it, or regenerate with `lectern keys generate`")
            }
            keys[kid] = key
        }
        return keys
    }

    /// The active private key and its kid.
    public func signingKey() throws -> (kid: String, key: Curve25519.Signing.PrivateKey) {
        let activePath = directory.appendingPathComponent("active").path
        guard
            let kid = try? String(contentsOfFile: activePath, encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines),
            !kid.isEmpty
        else {
            throw LecternError(
                .keys, file: activePath, "no active signing key",
                hint: "run `lectern keys generate` to create one")
        }
        let name = "\(kid).private"
        try requireOwnerOnly(name)
        guard let raw = Base64URL.decode(try read(name).trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw LecternError(
                .keys, file: path(name), "not an Ed25519 private key", hint: "regenerate with `lectern keys generate`")
        }
        return (kid, key)
    }

    /// The secret that keys watermark fingerprints (32 random bytes, created with the first key).
    public func watermarkSecret() throws -> SymmetricKey {
        let name = "watermark.secret"
        guard FileManager.default.fileExists(atPath: path(name)) else {
            throw LecternError(
                .keys, file: path(name), "no watermark secret", hint: "run `lectern keys generate` to create one")
        }
        try requireOwnerOnly(name)
        guard let raw = Base64URL.decode(try read(name).trimmingCharacters(in: .whitespacesAndNewlines)),
            raw.count == 32
        else {
            throw LecternError(.keys, file: path(name), "watermark secret must be 32 bytes, base64url")
        }
        return SymmetricKey(data: raw)
    }

    /// RFC 7517 key set of every verification key, for `/.well-known/jwks.json` and edge workers.
    public func jwks() throws -> String {
        let keys = try verificationKeys().sorted { $0.key < $1.key }.map { kid, key in
            "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"\(Base64URL.encode(key.rawRepresentation))\","
                + "\"kid\":\"\(kid)\",\"alg\":\"EdDSA\",\"use\":\"sig\"}"
        }
        return "{\"keys\":[\(keys.joined(separator: ","))]}"
    }

    public func activeKid() -> String? {
        (try? String(contentsOfFile: directory.appendingPathComponent("active").path, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: Changing

    /// Creates a key pair, makes it the active signer, and creates the watermark secret if missing.
    @discardableResult
    public func generate() throws -> String {
        let key = Curve25519.Signing.PrivateKey()
        let kid = Self.thumbprint(key.publicKey)
        try ensureDirectory()
        try writeSecret("\(kid).private", Base64URL.encode(key.rawRepresentation))
        try writePublic("\(kid).public", Base64URL.encode(key.publicKey.rawRepresentation))
        if !FileManager.default.fileExists(atPath: path("watermark.secret")) {
            try writeSecret(
                "watermark.secret", Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }))
        }
        try writePublic("active", kid)
        return kid
    }

    /// Removes a key: tokens it signed no longer verify. The active key cannot be removed.
    public func remove(kid: String) throws {
        guard kid != activeKid() else {
            throw LecternError(
                .keys, file: path("\(kid).private"), "refusing to remove the active signing key",
                hint: "generate a new key first (`lectern keys generate`), then remove this one")
        }
        guard FileManager.default.fileExists(atPath: path("\(kid).public")) else {
            throw LecternError(.keys, file: path("\(kid).public"), "no key with kid `\(kid)`")
        }
        try? FileManager.default.removeItem(atPath: path("\(kid).private"))
        try FileManager.default.removeItem(atPath: path("\(kid).public"))
    }

    /// RFC 7638 JWK thumbprint: a kid derived from the key itself, so it never collides.
    static func thumbprint(_ key: Curve25519.Signing.PublicKey) -> String {
        let canonical = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"\(Base64URL.encode(key.rawRepresentation))\"}"
        return Base64URL.encode(Data(SHA256.hash(data: Data(canonical.utf8))))
    }

    // MARK: Files

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func names(withSuffix suffix: String) throws -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw LecternError(.keys, file: directory.path, "key folder not found", hint: "run `lectern keys generate`")
        }
        return names.filter { $0.hasSuffix(suffix) }.sorted()
    }

    private func read(_ name: String) throws -> String {
        do { return try String(contentsOfFile: path(name), encoding: .utf8) } catch {
            throw LecternError(.keys, file: path(name), "cannot read key file (\(error.localizedDescription))")
        }
    }

    /// A secret readable by group or others may already be copied; refuse it rather than sign with it.
    private func requireOwnerOnly(_ name: String) throws {
        var info = stat()
        guard stat(path(name), &info) == 0 else {
            throw LecternError(.keys, file: path(name), "cannot read key file", hint: "run `lectern keys generate`")
        }
        if info.st_mode & 0o077 != 0 {
            throw LecternError(
                .keys, file: path(name),
                "secret key file is readable by other users (mode \(String(info.st_mode & 0o777, radix: 8)))",
                hint: "run `chmod 600 \(path(name))`, and consider the key leaked if others could log in")
        }
    }

    private func ensureDirectory() throws {
        do {
            try FileManager.default.createDirectory(
                at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw LecternError(
                .keys, file: directory.path, "cannot create the key folder (\(error.localizedDescription))")
        }
    }

    /// Created with mode 0600 from the start (no window in which the file is world-readable).
    private func writeSecret(_ name: String, _ text: String) throws {
        let fd = open(path(name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw LecternError(.keys, file: path(name), "cannot create key file (errno \(errno))") }
        defer { close(fd) }
        let bytes = Array((text + "\n").utf8)
        guard write(fd, bytes, bytes.count) == bytes.count, fsync(fd) == 0 else {
            throw LecternError(.keys, file: path(name), "cannot write key file (errno \(errno))")
        }
    }

    private func writePublic(_ name: String, _ text: String) throws {
        do { try (text + "\n").write(toFile: path(name), atomically: true, encoding: .utf8) } catch {
            throw LecternError(.keys, file: path(name), "cannot write (\(error.localizedDescription))")
        }
    }
}
