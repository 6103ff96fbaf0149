import BMSCore

/// Why a request is not authenticated or not authorized, with the HTTP status and the spec's error `code`.
///
/// 401s carry a `WWW-Authenticate` challenge (RFC 6750 §3); messages never echo token contents back.
enum AuthError: Error, Sendable, Equatable {
    /// Neither a bearer token nor an API key was presented.
    case missingCredentials
    /// A token or API key was presented but is not acceptable.
    case invalidToken(InvalidTokenReason)
    /// The token was valid once; its `exp` has passed (leeway included).
    case tokenExpired
    /// The principal's role is below what the operation needs.
    case insufficientRole(required: Role, actual: Role)
    /// The principal's credentials are limited to sites that do not include this one.
    case siteForbidden(siteID: String)

    /// The HTTP status of the response.
    var status: Int {
        switch self {
        case .missingCredentials, .invalidToken, .tokenExpired: 401
        case .insufficientRole, .siteForbidden: 403
        }
    }

    /// The spec's machine-readable error code.
    var code: String {
        switch self {
        case .missingCredentials: "AUTHENTICATION_REQUIRED"
        case .invalidToken: "INVALID_TOKEN"
        case .tokenExpired: "TOKEN_EXPIRED"
        case .insufficientRole: "INSUFFICIENT_PERMISSIONS"
        case .siteForbidden: "SITE_FORBIDDEN"
        }
    }

    /// A sentence for the client.
    var message: String {
        switch self {
        case .missingCredentials:
            "Authentication required: send 'Authorization: Bearer <token>' or an API key"
        case .invalidToken(let reason):
            "Invalid credentials: \(reason.description)"
        case .tokenExpired:
            "The token has expired"
        case .insufficientRole(let required, let actual):
            "This operation needs the \(required.rawValue) role; the credentials have \(actual.rawValue)"
        case .siteForbidden(let siteID):
            "The credentials do not grant access to site '\(siteID)'"
        }
    }

    /// The `WWW-Authenticate` header value for a 401 (RFC 6750 §3), `nil` for a 403.
    var wwwAuthenticate: String? {
        switch self {
        case .missingCredentials: #"Bearer realm="pulsebms""#
        case .invalidToken: #"Bearer realm="pulsebms", error="invalid_token""#
        case .tokenExpired: #"Bearer realm="pulsebms", error="invalid_token", error_description="token expired""#
        case .insufficientRole, .siteForbidden: nil
        }
    }

    /// Machine-readable `details` for the error body.
    var details: JSONObject? {
        switch self {
        case .missingCredentials, .tokenExpired: nil
        case .invalidToken(let reason): ["reason": .string(reason.code)]
        case .insufficientRole(let required, let actual):
            ["required_role": .string(required.rawValue), "role": .string(actual.rawValue)]
        case .siteForbidden(let siteID): ["site_id": .string(siteID)]
        }
    }

    /// The spec's standard error body for this error.
    func response(timestamp: Timestamp, traceID: String) -> ErrorResponse {
        ErrorResponse(
            error: ErrorBody(
                code: ErrorCode(rawValue: code), message: message, details: details, timestamp: timestamp,
                traceID: traceID))
    }
}

/// What exactly is wrong with a presented token or API key. Logged in full; clients see `code` and a sentence.
enum InvalidTokenReason: Sendable, Equatable, CustomStringConvertible {
    /// Not a compact JWS: wrong number of segments, bad base64url, JSON that is not an object, … .
    case malformed(String)
    /// Longer than the verifier accepts.
    case tooLong(maximumBytes: Int)
    /// `alg` is absent, `none`, or an algorithm the relay does not accept.
    case unsupportedAlgorithm
    /// `alg` names a different algorithm from the key that `kid` selects (alg confusion).
    case algorithmKeyMismatch
    /// The header has no `kid`.
    case missingKeyID
    /// `kid` names no configured key (unknown, or rotated out).
    case unknownKeyID
    /// The header lists `crit` extensions, none of which the relay implements (RFC 7515 §4.1.11).
    case unsupportedCriticalHeader
    /// `typ` is present and is not a JWT type.
    case wrongType
    /// The signature does not verify with the selected key.
    case badSignature
    /// `nbf` is still in the future (leeway included).
    case notYetValid
    /// `iat` is in the future (leeway included).
    case issuedInFuture
    /// A required claim is absent.
    case missingClaim(String)
    /// A claim has the wrong JSON type or an unknown value.
    case invalidClaim(String)
    /// `iss` is not the configured issuer.
    case wrongIssuer
    /// `aud` does not name this relay.
    case wrongAudience
    /// The text is not a `pbk_<id>_<secret>` API key.
    case malformedAPIKey
    /// No active API key has this hash (never issued, or revoked).
    case unknownAPIKey

    /// A stable snake_case identifier, for `details.reason` and logs.
    var code: String {
        switch self {
        case .malformed: "malformed"
        case .tooLong: "too_long"
        case .unsupportedAlgorithm: "unsupported_algorithm"
        case .algorithmKeyMismatch: "algorithm_key_mismatch"
        case .missingKeyID: "missing_kid"
        case .unknownKeyID: "unknown_kid"
        case .unsupportedCriticalHeader: "unsupported_crit"
        case .wrongType: "wrong_typ"
        case .badSignature: "bad_signature"
        case .notYetValid: "not_yet_valid"
        case .issuedInFuture: "issued_in_future"
        case .missingClaim: "missing_claim"
        case .invalidClaim: "invalid_claim"
        case .wrongIssuer: "wrong_issuer"
        case .wrongAudience: "wrong_audience"
        case .malformedAPIKey: "malformed_api_key"
        case .unknownAPIKey: "unknown_api_key"
        }
    }

    var description: String {
        switch self {
        case .malformed(let what): "the token is malformed (\(what))"
        case .tooLong(let maximumBytes): "the token is longer than \(maximumBytes) bytes"
        case .unsupportedAlgorithm: "the token's algorithm is not accepted (EdDSA or ES256 only)"
        case .algorithmKeyMismatch: "the token's algorithm does not match its key"
        case .missingKeyID: "the token header has no key id (kid)"
        case .unknownKeyID: "the token's key id (kid) is not recognised"
        case .unsupportedCriticalHeader: "the token header lists critical extensions that are not supported"
        case .wrongType: "the token's typ is not JWT"
        case .badSignature: "the token's signature is invalid"
        case .notYetValid: "the token is not valid yet (nbf)"
        case .issuedInFuture: "the token is issued in the future (iat)"
        case .missingClaim(let name): "the token has no '\(name)' claim"
        case .invalidClaim(let name): "the token's '\(name)' claim is invalid"
        case .wrongIssuer: "the token's issuer (iss) is not accepted"
        case .wrongAudience: "the token's audience (aud) does not include this service"
        case .malformedAPIKey: "the API key is malformed"
        case .unknownAPIKey: "the API key is not recognised"
        }
    }
}
