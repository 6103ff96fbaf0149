/// Who is making a request, as established by a verified token or API key.
struct Principal: Sendable, Hashable {
    /// How the principal authenticated; names the credential in logs and audit records.
    enum Credential: Sendable, Hashable {
        /// A JWT signed by the key with this `kid`.
        case token(keyID: String)
        /// The API key with this id (the `<id>` of `pbk_<id>_<secret>`).
        case apiKey(id: String)
    }

    /// The token's `sub`, or the API key's id.
    var subject: String
    var role: Role
    /// The sites the credentials are limited to; `nil` means every site.
    var sites: Set<String>?
    var credential: Credential

    init(subject: String, role: Role, sites: Set<String>?, credential: Credential) {
        self.subject = subject
        self.role = role
        self.sites = sites
        self.credential = credential
    }

    /// The rate-limit bucket: one per token subject, one per API key.
    ///
    /// Tokens are bucketed by `sub`, not by `kid` (every token from one issuer shares a `kid`), so one
    /// person's several tokens share their limit; each API key has its own.
    var rateLimitKey: String {
        switch credential {
        case .token: "sub:\(subject)"
        case .apiKey(let id): "key:\(id)"
        }
    }
}

// MARK: - Authorization

extension Principal {
    /// Throws unless the principal's role is at least `role`.
    func require(role required: Role) throws(AuthError) {
        guard role >= required else { throw .insufficientRole(required: required, actual: role) }
    }

    /// Throws unless the principal's role holds `permission`.
    func require(_ permission: Permission) throws(AuthError) {
        try require(role: permission.minimumRole)
    }

    /// Whether the credentials reach `site`: always when they are not limited to sites.
    func canAccess(site: String) -> Bool {
        sites?.contains(site) ?? true
    }

    /// Throws unless the credentials reach `site`.
    func requireAccess(toSite site: String) throws(AuthError) {
        guard canAccess(site: site) else { throw .siteForbidden(siteID: site) }
    }

    /// The principal's own sites among `candidates`, for filtering a list (`nil` sites keep them all).
    func accessibleSites<S: Sequence<String>>(among candidates: S) -> [String] {
        candidates.filter { canAccess(site: $0) }
    }
}
