extension StoredAPIKey {
    /// The principal a presented key stands for, once the store has found this record by the key's hash.
    ///
    /// The flow: `APIKeyCodec.parse(key)` (a malformed key never reaches the database), then
    /// `store.apiKey(hash: APIKeyCodec.hash(key))` (`nil` → `.invalidToken(.unknownAPIKey)`), then this.
    /// A SHA-256 match means the presented text is the issued key, so nothing else needs comparing.
    ///
    /// - Throws: `.invalidToken(.unknownAPIKey)` when the stored role is not one the relay knows (a damaged
    ///   row is not a credential).
    func principal() throws(AuthError) -> Principal {
        guard let role = Role(rawValue: role) else { throw .invalidToken(.unknownAPIKey) }
        return Principal(subject: id, role: role, sites: sites.map { Set($0) }, credential: .apiKey(id: id))
    }
}
