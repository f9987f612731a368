import Crypto
import Foundation
import LecternCore

/// The daemon's view of `keys/`: the verification keys, read again when a token names a key id not
/// seen yet and the folder changed since the last read (its modification time: `lectern keys generate`
/// and removing a key both change it). So a key made while lecternd runs verifies the CLI's links at
/// once (before, they failed as "This link does not work" until a restart, while the JWKS already listed
/// the key), and a stream of tokens with made-up key ids costs one `stat` each, never a re-read. A
/// folder that fails to read keeps the keys already known.
public final class LiveKeys: Sendable {
    private let store: KeyStore
    private let state: Locked<(keys: [String: Curve25519.Signing.PublicKey], folder: Date?)>

    public init(store: KeyStore) throws {
        self.store = store
        let folder = store.folderModified()
        state = Locked((try store.verificationKeys(), folder))
    }

    public func key(_ kid: String) -> Curve25519.Signing.PublicKey? {
        let (known, folder) = state.withLock { ($0.keys[kid], $0.folder) }
        if let known { return known }
        let now = store.folderModified()
        guard now != folder else { return nil }
        // I/O outside the lock; two requests may both re-read, which is harmless.
        guard let fresh = try? store.verificationKeys() else { return nil }
        return state.withLock { current in
            current = (fresh, now)
            return fresh[kid]
        }
    }
}

extension KeyStore {
    /// When the folder last changed (`lectern keys generate` and `keys remove` both change it): what the daemon's
    /// live views of the keys (`LiveKeys`, `LiveSigner`) compare before reading it again.
    func folderModified() -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: directory.path))?[.modificationDate] as? Date
    }
}
