import Foundation
import LecternCore

/// The daemon's signing key, followed as `keys/` changes: `lectern keys generate` while lecternd runs makes
/// the new key the one its e-mails are signed with (before, only a restart did, so e-mailed links kept the
/// old key until someone thought of restarting). One `stat` of the folder per signature; the key is read
/// again only when the folder changed. A folder that fails to read (a key being written, a removed active
/// key) keeps the signer already known, so an e-mail is never lost to a half-written key.
public final class LiveSigner: Sendable {
    private let store: KeyStore
    private let state: Locked<(signer: TokenSigner, folder: Date?)>

    public init(store: KeyStore) throws {
        self.store = store
        state = Locked((try TokenSigner(keys: store), store.folderModified()))
    }

    public func current() -> TokenSigner {
        let (signer, folder) = state.withLock { ($0.signer, $0.folder) }
        let now = store.folderModified()
        guard now != folder else { return signer }
        guard let fresh = try? TokenSigner(keys: store) else { return signer }
        state.withLock { $0 = (fresh, now) }
        return fresh
    }
}
