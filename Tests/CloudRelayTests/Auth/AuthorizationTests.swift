import BMSCore
import Foundation
import Testing
@testable import CloudRelay

@Suite("Roles, permissions and site scoping")
struct AuthorizationTests {
    func principal(_ role: Role, sites: Set<String>? = nil) -> Principal {
        Principal(subject: "someone", role: role, sites: sites, credential: .apiKey(id: "Ab3dEf9hIj0K"))
    }

    @Test func rolesAreOrderedByPrivilege() {
        #expect(Role.viewer < .operator)
        #expect(Role.operator < .admin)
        #expect(Role.viewer < .admin)
        #expect(!(Role.admin < .admin))
        #expect([Role.admin, .viewer, .operator].sorted() == [.viewer, .operator, .admin])
        #expect(Role.allCases.map(\.rawValue) == ["viewer", "operator", "admin"])
    }

    @Test(arguments: Role.allCases, Role.allCases)
    func requireRoleAllowsThatRoleAndAbove(actual: Role, required: Role) {
        let error = authError { try principal(actual).require(role: required) }
        if actual >= required {
            #expect(error == nil)
        } else {
            #expect(error == .insufficientRole(required: required, actual: actual))
        }
    }

    @Test func permissionsFollowTheDesign() throws {
        #expect(Permission.read.minimumRole == .viewer)
        #expect(Permission.sendCommand.minimumRole == .operator)
        #expect(Permission.manageDevices.minimumRole == .admin)
        #expect(authError { try principal(.viewer).require(.sendCommand) } == .insufficientRole(required: .operator, actual: .viewer))
        #expect(authError { try principal(.operator).require(.manageDevices) } == .insufficientRole(required: .admin, actual: .operator))
        try principal(.operator).require(.sendCommand)
        try principal(.admin).require(.manageDevices)
        try principal(.viewer).require(.read)
    }

    @Test func siteScoping() throws {
        let everywhere = principal(.admin)
        #expect(everywhere.canAccess(site: "site_001"))
        try everywhere.requireAccess(toSite: "site_999")

        let scoped = principal(.operator, sites: ["site_001", "site_002"])
        #expect(scoped.canAccess(site: "site_001"))
        #expect(!scoped.canAccess(site: "site_003"))
        #expect(authError { try scoped.requireAccess(toSite: "site_003") } == .siteForbidden(siteID: "site_003"))
        #expect(scoped.accessibleSites(among: ["site_003", "site_002", "site_001"]) == ["site_002", "site_001"])
    }

    @Test(arguments: [
        (AuthError.missingCredentials, 401, "AUTHENTICATION_REQUIRED"),
        (.invalidToken(.badSignature), 401, "INVALID_TOKEN"),
        (.invalidToken(.unknownAPIKey), 401, "INVALID_TOKEN"),
        (.tokenExpired, 401, "TOKEN_EXPIRED"),
        (.insufficientRole(required: .admin, actual: .viewer), 403, "INSUFFICIENT_PERMISSIONS"),
        (.siteForbidden(siteID: "site_009"), 403, "SITE_FORBIDDEN"),
    ])
    func errorsMapToHTTP(error: AuthError, status: Int, code: String) {
        #expect(error.status == status)
        #expect(error.code == code)
        #expect(!error.message.isEmpty)
        #expect((error.wwwAuthenticate != nil) == (status == 401))
    }

    @Test func errorBodyHasTheSpecShape() throws {
        let timestamp = try Timestamp(rfc3339: "2024-01-15T14:30:00Z")
        let body = AuthError.siteForbidden(siteID: "site_009").response(timestamp: timestamp, traceID: "trace_abc123")
        let json = try WireCoding.decodeTree(from: WireCoding.encode(body))
        #expect(json["error"]?["code"] == "SITE_FORBIDDEN")
        #expect(json["error"]?["details"]?["site_id"] == "site_009")
        #expect(json["error"]?["trace_id"] == "trace_abc123")
        #expect(json["error"]?["timestamp"] == "2024-01-15T14:30:00.000Z")

        let invalid = AuthError.invalidToken(.unknownKeyID).response(timestamp: timestamp, traceID: "t")
        #expect(invalid.error.details?["reason"] == "unknown_kid")
        #expect(!invalid.error.message.contains("ed-20"))
    }
}
