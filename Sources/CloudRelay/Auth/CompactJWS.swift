import BMSCore
import Foundation

/// A compact-serialised JWS (RFC 7515 §7.1) split into its parts, before its signature is checked.
///
/// All three segments are base64url-decoded here, so a malformed token is reported as such whatever its
/// signature; the payload is parsed as JSON only once the signature has verified.
struct CompactJWS {
    /// The protected header's members.
    var header: [String: JSONValue]
    /// The decoded payload, not yet parsed.
    var payload: [UInt8]
    /// `BASE64URL(header) '.' BASE64URL(payload)`: the bytes the signature covers.
    var signingInput: [UInt8]
    /// The decoded signature (empty for an unsecured `alg: none` token).
    var signature: [UInt8]

    /// Splits and decodes a token.
    ///
    /// - Throws: `.invalidToken(.tooLong)` beyond `maximumBytes`, `.invalidToken(.malformed)` for anything that
    ///   is not three strict base64url segments with a JSON object header (a five-segment JWE included).
    static func parse(_ token: String, maximumBytes: Int) throws(AuthError) -> CompactJWS {
        let bytes = Array(token.utf8)
        guard bytes.count <= maximumBytes else { throw .invalidToken(.tooLong(maximumBytes: maximumBytes)) }
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else {
            throw .invalidToken(.malformed("a token has three segments separated by '.'"))
        }
        let headerSegment = bytes[..<dots[0]]
        let payloadSegment = bytes[(dots[0] + 1)..<dots[1]]
        let signatureSegment = bytes[(dots[1] + 1)...]
        guard let headerBytes = Base64URL.decode(bytes: headerSegment) else {
            throw .invalidToken(.malformed("the header is not unpadded base64url"))
        }
        guard let payload = Base64URL.decode(bytes: payloadSegment) else {
            throw .invalidToken(.malformed("the payload is not unpadded base64url"))
        }
        guard let signature = Base64URL.decode(bytes: signatureSegment) else {
            throw .invalidToken(.malformed("the signature is not unpadded base64url"))
        }
        return CompactJWS(
            header: try jsonObject(headerBytes, part: "header"),
            payload: payload,
            signingInput: Array(bytes[..<dots[1]]),
            signature: signature)
    }

    /// The payload's members: the JWT claims set. Call only once the signature has verified.
    func claims() throws(AuthError) -> [String: JSONValue] {
        try Self.jsonObject(payload, part: "payload")
    }

    private static func jsonObject(_ bytes: [UInt8], part: String) throws(AuthError) -> [String: JSONValue] {
        let tree: JSONValue
        do {
            tree = try WireCoding.decodeTree(from: bytes)
        } catch {
            throw .invalidToken(.malformed("the \(part) is not JSON"))
        }
        // Duplicate member names: the parser keeps the last, which RFC 7515 §4 allows.
        guard let members = tree.objectValue else {
            throw .invalidToken(.malformed("the \(part) is not a JSON object"))
        }
        return members
    }
}
