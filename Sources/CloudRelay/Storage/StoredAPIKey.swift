import BMSCore

/// An API key, without its secret: the store keeps only the SHA-256 of the secret, computed by the caller.
struct StoredAPIKey: Sendable, Equatable {
    var id: String
    /// `viewer`, `operator` or `admin`, as the auth layer names them.
    var role: String
    /// The sites the key may see; `nil` for every site.
    var sites: [String]?
    var createdAt: Timestamp
}
