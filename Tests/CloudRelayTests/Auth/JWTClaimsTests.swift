import BMSCore
import Testing
@testable import CloudRelay

@Suite("JWT verifier: claims, times and leeway")
struct JWTClaimsTests {
    let now = AuthFixtures.now
    let nowSeconds = AuthFixtures.nowSeconds

    /// The error verifying a token with `claims` throws, or `nil` when it verifies.
    func rejection(
        of claims: [String: JSONValue], leeway: Duration = .zero, issuer: String? = nil, audience: String? = nil
    ) throws -> AuthError? {
        let verifier = try AuthFixtures.verifier(issuer: issuer, audience: audience)
        let token = try TokenBuilder.ed25519(claims)
        return authError { try verifier.verify(token: token, now: now, leeway: leeway) }
    }

    // MARK: - exp, nbf, iat

    @Test func expiredTokenIsRefused() throws {
        #expect(try rejection(of: AuthFixtures.claims(expiresIn: -1)) == .tokenExpired)
    }

    @Test func tokenExpiresExactlyAtExp() throws {
        // RFC 7519 §4.1.4: valid only *before* exp.
        #expect(try rejection(of: AuthFixtures.claims(expiresIn: 0)) == .tokenExpired)
        #expect(try rejection(of: AuthFixtures.claims(expiresIn: 0.001)) == nil)
    }

    @Test func missingExpIsRefused() throws {
        var claims = AuthFixtures.claims()
        claims.removeValue(forKey: "exp")
        #expect(try rejection(of: claims) == .invalidToken(.missingClaim("exp")))
    }

    @Test(arguments: [JSONValue.string("1705334400"), .null, .bool(true), .number(-5)])
    func nonNumericExpIsRefused(value: JSONValue) throws {
        var claims = AuthFixtures.claims()
        claims["exp"] = value
        #expect(try rejection(of: claims) == .invalidToken(.invalidClaim("exp")))
    }

    @Test func notBeforeInTheFutureIsRefused() throws {
        var claims = AuthFixtures.claims()
        claims["nbf"] = .number(nowSeconds + 120)
        #expect(try rejection(of: claims, leeway: .seconds(30)) == .invalidToken(.notYetValid))
        claims["nbf"] = .number(nowSeconds)
        #expect(try rejection(of: claims) == nil)
    }

    @Test func issuedInTheFutureIsRefused() throws {
        var claims = AuthFixtures.claims()
        claims["iat"] = .number(nowSeconds + 120)
        #expect(try rejection(of: claims, leeway: .seconds(30)) == .invalidToken(.issuedInFuture))
    }

    @Test func leewayCoversClockSkewOnEachSide() throws {
        var expired = AuthFixtures.claims(expiresIn: -20)
        #expect(try rejection(of: expired, leeway: .seconds(30)) == nil)
        #expect(try rejection(of: expired, leeway: .seconds(10)) == .tokenExpired)
        expired["exp"] = .number(nowSeconds - 30)
        #expect(try rejection(of: expired, leeway: .seconds(30)) == .tokenExpired)

        var early = AuthFixtures.claims()
        early["nbf"] = .number(nowSeconds + 20)
        early["iat"] = .number(nowSeconds + 20)
        #expect(try rejection(of: early, leeway: .seconds(30)) == nil)
        #expect(try rejection(of: early, leeway: .seconds(10)) == .invalidToken(.notYetValid))
        #expect(try rejection(of: early, leeway: .milliseconds(20_000)) == nil)
    }

    @Test func fractionalNumericDatesAreHonoured() throws {
        var claims = AuthFixtures.claims()
        claims["exp"] = .number(nowSeconds + 0.5)
        #expect(try rejection(of: claims) == nil)
        claims["exp"] = .number(nowSeconds - 0.5)
        #expect(try rejection(of: claims) == .tokenExpired)
    }

    // MARK: - iss and aud

    @Test func issuerMustMatchWhenConfigured() throws {
        var claims = AuthFixtures.claims()
        #expect(try rejection(of: claims, issuer: "https://auth.example") == .invalidToken(.wrongIssuer))
        claims["iss"] = "https://evil.example"
        #expect(try rejection(of: claims, issuer: "https://auth.example") == .invalidToken(.wrongIssuer))
        claims["iss"] = "https://auth.example"
        #expect(try rejection(of: claims, issuer: "https://auth.example") == nil)
        #expect(try rejection(of: claims) == nil)
    }

    @Test func audienceMustNameThisRelay() throws {
        var claims = AuthFixtures.claims()
        #expect(try rejection(of: claims, audience: "pulsebms-relay") == .invalidToken(.wrongAudience))
        claims["aud"] = "pulsebms-relay"
        #expect(try rejection(of: claims, audience: "pulsebms-relay") == nil)
        claims["aud"] = ["grafana", "pulsebms-relay"]
        #expect(try rejection(of: claims, audience: "pulsebms-relay") == nil)
        claims["aud"] = ["grafana"]
        #expect(try rejection(of: claims, audience: "pulsebms-relay") == .invalidToken(.wrongAudience))
        claims["aud"] = ["pulsebms-relay", 7]
        #expect(try rejection(of: claims, audience: "pulsebms-relay") == .invalidToken(.invalidClaim("aud")))
    }

    @Test func tokenForANamedAudienceIsRefusedWhenNoAudienceIsConfigured() throws {
        // RFC 7519 §4.1.3: a recipient that does not identify itself with a value in `aud` must reject.
        var claims = AuthFixtures.claims()
        claims["aud"] = "someone-else"
        #expect(try rejection(of: claims) == .invalidToken(.wrongAudience))
    }

    // MARK: - sub, role, sites

    @Test(arguments: Role.allCases)
    func everyRoleIsRead(role: Role) throws {
        let verifier = try AuthFixtures.verifier()
        let principal = try verifier.verify(token: TokenBuilder.ed25519(AuthFixtures.claims(role: role.rawValue)), now: now)
        #expect(principal.role == role)
    }

    @Test func missingOrUnknownRoleIsRefused() throws {
        var claims = AuthFixtures.claims(role: "superuser")
        #expect(try rejection(of: claims) == .invalidToken(.invalidClaim("role")))
        claims["role"] = "Admin"
        #expect(try rejection(of: claims) == .invalidToken(.invalidClaim("role")))
        claims.removeValue(forKey: "role")
        #expect(try rejection(of: claims) == .invalidToken(.missingClaim("role")))
    }

    @Test func subjectIsRequired() throws {
        var claims = AuthFixtures.claims()
        claims["sub"] = ""
        #expect(try rejection(of: claims) == .invalidToken(.invalidClaim("sub")))
        claims["sub"] = 42
        #expect(try rejection(of: claims) == .invalidToken(.invalidClaim("sub")))
        claims.removeValue(forKey: "sub")
        #expect(try rejection(of: claims) == .invalidToken(.missingClaim("sub")))
    }

    @Test func absentSitesMeanEverySiteAndAnEmptyListMeansNone() throws {
        let verifier = try AuthFixtures.verifier()
        let everywhere = try verifier.verify(token: TokenBuilder.ed25519(AuthFixtures.claims(sites: nil)), now: now)
        #expect(everywhere.sites == nil)
        #expect(everywhere.canAccess(site: "any_site"))
        let nowhere = try verifier.verify(token: TokenBuilder.ed25519(AuthFixtures.claims(sites: [])), now: now)
        #expect(nowhere.sites == [])
        #expect(!nowhere.canAccess(site: "site_001"))
        let two = try verifier.verify(token: TokenBuilder.ed25519(AuthFixtures.claims(sites: ["a", "b", "a"])), now: now)
        #expect(two.sites == ["a", "b"])
    }

    @Test(arguments: [JSONValue.null, .string("site_001"), .array(["site_001", 2]), .array([""]), .object(["site_001": true])])
    func malformedSitesAreRefused(value: JSONValue) throws {
        var claims = AuthFixtures.claims()
        claims["sites"] = value
        #expect(try rejection(of: claims) == .invalidToken(.invalidClaim("sites")))
    }
}
