import Foundation

/// The credential a request carries, read from its headers before anything is verified.
///
/// Accepted: `Authorization: Bearer <jwt>`, `Authorization: Bearer pbk_…` (an API key in the standard header)
/// and `X-API-Key: pbk_…`. A request carrying both headers is refused rather than guessing which one counts.
enum PresentedCredential: Sendable, Hashable {
    /// A JWT, to verify with `JWTVerifier`.
    case bearerToken(String)
    /// An API key, to look up by `APIKeyCodec.hashHex`.
    case apiKey(String)

    /// The credential in an `Authorization` and an `X-API-Key` header value (`nil` when the header is absent).
    ///
    /// - Throws: `.missingCredentials` when neither header has a value; `.invalidToken(.malformed)` for a
    ///   scheme other than Bearer, an empty token, or both headers at once.
    init(authorization: String?, apiKey: String?) throws(AuthError) {
        let authorization = authorization.map(Self.trimmed).flatMap { $0.isEmpty ? nil : $0 }
        let apiKey = apiKey.map(Self.trimmed).flatMap { $0.isEmpty ? nil : $0 }
        switch (authorization, apiKey) {
        case (nil, nil):
            throw .missingCredentials
        case (.some, .some):
            throw .invalidToken(.malformed("send either Authorization or X-API-Key, not both"))
        case (nil, .some(let key)):
            self = .apiKey(key)
        case (.some(let header), nil):
            // RFC 9110 §11.1: the scheme name is case-insensitive; one or more spaces follow it.
            let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw .invalidToken(.malformed("use 'Authorization: Bearer <token>'"))
            }
            let token = Self.trimmed(String(parts[1]))
            guard !token.isEmpty, !token.contains(" ") else {
                throw .invalidToken(.malformed("use 'Authorization: Bearer <token>'"))
            }
            self = token.hasPrefix(APIKeyCodec.prefix) ? .apiKey(token) : .bearerToken(token)
        }
    }

    private static func trimmed(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespaces)
    }
}
