import BMSCore

/// Verifies relay bearer tokens: compact JWS with EdDSA (Ed25519) or ES256 signatures, selected by `kid`.
///
/// Checks, in order: size; three strict base64url segments; header `crit` absent, `typ` (if any) a JWT type,
/// `alg` one of EdDSA/Ed25519/ES256 (never `none`, never HMAC); `kid` present and configured; `alg` fitting that
/// key's type; signature; then the claims: `exp` required and not past, `nbf` and `iat` not in the future
/// (each with the leeway), `iss` and `aud` when configured, and the principal's `sub`, `role` and `sites`.
/// Key material never comes from the token (`jwk`, `jku`, `x5u`, `x5c` headers are ignored).
struct JWTVerifier: Sendable {
    /// Verification keys by `kid`. Rotation: add the new key, start issuing with it, remove the old one
    /// once the last token it signed has expired; tokens naming a removed `kid` are refused.
    var keys: [String: VerificationKey]
    /// The required `iss`, or `nil` to accept any issuer.
    var issuer: String?
    /// This relay's audience name. When set, `aud` must name it; when `nil`, a token that carries `aud` at all
    /// is refused, since it was meant for a named recipient that this relay does not claim to be (RFC 7519 §4.1.3).
    var audience: String?
    /// Longest token accepted, in bytes; longer ones are refused before any parsing.
    var maximumTokenBytes: Int

    init(
        keys: [String: VerificationKey], issuer: String? = nil, audience: String? = nil,
        maximumTokenBytes: Int = 8192
    ) {
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.maximumTokenBytes = maximumTokenBytes
    }

    /// The principal a token names, if the token is valid at `now`.
    ///
    /// - Parameters:
    ///   - token: The compact JWS, without the `Bearer ` prefix.
    ///   - now: The current time (injected, so tests are deterministic).
    ///   - leeway: Clock skew tolerated between the issuer and this relay, applied to `exp`, `nbf` and `iat`.
    /// - Throws: `.tokenExpired` once `exp` has passed; `.invalidToken` with the reason for everything else.
    func verify(token: String, now: Timestamp, leeway: Duration = .seconds(30)) throws(AuthError) -> Principal {
        let jws = try CompactJWS.parse(token, maximumBytes: maximumTokenBytes)
        let (algorithm, keyID) = try checkHeader(jws.header)
        guard let key = keys[keyID] else { throw .invalidToken(.unknownKeyID) }
        guard key.algorithms.contains(algorithm) else { throw .invalidToken(.algorithmKeyMismatch) }
        guard key.isValidSignature(jws.signature, for: jws.signingInput) else { throw .invalidToken(.badSignature) }

        let claims = try jws.claims()
        let (seconds, attoseconds) = leeway.components
        let leewayMilliseconds = max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        try checkTimes(claims, nowMilliseconds: now.millisecondsSinceEpoch, leewayMilliseconds: leewayMilliseconds)
        try checkIssuerAndAudience(claims)
        return try principal(from: claims, keyID: keyID)
    }

    // MARK: - Header

    private func checkHeader(_ header: [String: JSONValue]) throws(AuthError) -> (algorithm: String, kid: String) {
        // No extension is implemented, so any critical one must be refused (RFC 7515 §4.1.11).
        guard header["crit"] == nil else { throw .invalidToken(.unsupportedCriticalHeader) }
        if let type = header["typ"] {
            let accepted: Set<String> = ["JWT", "AT+JWT", "APPLICATION/JWT", "APPLICATION/AT+JWT"]
            guard let name = type.stringValue, accepted.contains(name.uppercased()) else {
                throw .invalidToken(.wrongType)
            }
        }
        guard let algorithm = header["alg"]?.stringValue, VerificationKey.supportedAlgorithms.contains(algorithm) else {
            throw .invalidToken(.unsupportedAlgorithm)
        }
        guard let kid = header["kid"]?.stringValue, !kid.isEmpty else { throw .invalidToken(.missingKeyID) }
        return (algorithm, kid)
    }

    // MARK: - Claims

    private func checkTimes(
        _ claims: [String: JSONValue], nowMilliseconds: Int64, leewayMilliseconds: Int64
    ) throws(AuthError) {
        // NumericDate is seconds, possibly fractional; milliseconds as a Double are exact far beyond 2100.
        let now = Double(nowMilliseconds)
        let leeway = Double(leewayMilliseconds)
        guard let expiryClaim = claims["exp"] else { throw .invalidToken(.missingClaim("exp")) }
        let expiry = try milliseconds(expiryClaim, claim: "exp")
        // RFC 7519 §4.1.4: valid only while now is before exp.
        guard now < expiry + leeway else { throw .tokenExpired }
        if let notBeforeClaim = claims["nbf"] {
            let notBefore = try milliseconds(notBeforeClaim, claim: "nbf")
            guard now + leeway >= notBefore else { throw .invalidToken(.notYetValid) }
        }
        if let issuedAtClaim = claims["iat"] {
            let issuedAt = try milliseconds(issuedAtClaim, claim: "iat")
            guard issuedAt <= now + leeway else { throw .invalidToken(.issuedInFuture) }
        }
    }

    private func milliseconds(_ value: JSONValue, claim: String) throws(AuthError) -> Double {
        guard let seconds = value.numberValue, seconds >= 0 else { throw .invalidToken(.invalidClaim(claim)) }
        return seconds * 1000
    }

    private func checkIssuerAndAudience(_ claims: [String: JSONValue]) throws(AuthError) {
        if let issuer {
            guard claims["iss"]?.stringValue == issuer else { throw .invalidToken(.wrongIssuer) }
        }
        guard let audienceClaim = claims["aud"] else {
            if audience != nil { throw .invalidToken(.wrongAudience) }
            return
        }
        let audiences: [String]
        switch audienceClaim {
        case .string(let single):
            audiences = [single]
        case .array(let elements):
            audiences = elements.compactMap(\.stringValue)
            guard audiences.count == elements.count else { throw .invalidToken(.invalidClaim("aud")) }
        default:
            throw .invalidToken(.invalidClaim("aud"))
        }
        guard let audience, audiences.contains(audience) else { throw .invalidToken(.wrongAudience) }
    }

    private func principal(from claims: [String: JSONValue], keyID: String) throws(AuthError) -> Principal {
        guard let subjectClaim = claims["sub"] else { throw .invalidToken(.missingClaim("sub")) }
        guard let subject = subjectClaim.stringValue, !subject.isEmpty else { throw .invalidToken(.invalidClaim("sub")) }

        guard let roleClaim = claims["role"] else { throw .invalidToken(.missingClaim("role")) }
        guard let roleName = roleClaim.stringValue, let role = Role(rawValue: roleName) else {
            throw .invalidToken(.invalidClaim("role"))
        }

        // Absent means every site; present (even empty) is the exact list. `null` is refused rather than
        // guessed at, since reading it as "absent" would widen access.
        var sites: Set<String>?
        if let sitesClaim = claims["sites"] {
            guard let elements = sitesClaim.arrayValue else { throw .invalidToken(.invalidClaim("sites")) }
            let names = elements.compactMap(\.stringValue)
            guard names.count == elements.count, !names.contains(where: \.isEmpty) else {
                throw .invalidToken(.invalidClaim("sites"))
            }
            sites = Set(names)
        }
        return Principal(subject: subject, role: role, sites: sites, credential: .token(keyID: keyID))
    }
}
