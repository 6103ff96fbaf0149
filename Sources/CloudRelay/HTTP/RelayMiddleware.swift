import BMSCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOPosix
import Synchronization

/// Who may call: a bearer JWT checked against the configured keys, or an API key looked up by its hash.
struct RelayAuthenticator: Sendable {
    let verifier: JWTVerifier
    let store: any RelayStore
    /// Known API keys for a few seconds: one SQLite lookup per key and interval, not per request.
    var keys = APIKeyCache()

    /// The principal behind the request's credentials. An API key is looked up on NIO's blocking pool; a store
    /// that fails is a 503, not a 401.
    func authenticate(_ request: Request) async throws -> Principal {
        try await authenticate(authorization: request.headers[.authorization], apiKey: request.headers[HTTPField.Name.apiKey])
    }

    /// The principal behind an `Authorization` header value or an `X-API-Key` value.
    func authenticate(authorization: String?, apiKey: String?) async throws -> Principal {
        let credential = try PresentedCredential(authorization: authorization, apiKey: apiKey)
        switch credential {
        case .bearerToken(let token):
            return try verifier.verify(token: token, now: Timestamp(Date()))
        case .apiKey(let key):
            _ = try APIKeyCodec.parse(key)
            let store = store
            let hash = APIKeyCodec.hash(key)
            let now = ContinuousClock.now
            if let known = keys.principal(for: hash, at: now) { return known }
            let stored = try await NIOThreadPool.singleton.runIfActive { try store.apiKey(hash: hash) }
            guard let stored else { throw AuthError.invalidToken(.unknownAPIKey) }
            let principal = try stored.principal()
            keys.remember(principal, for: hash, at: now)
            return principal
        }
    }
}

/// Principals of API keys looked up in the last `lifetime`, by the key's hash. Only keys that exist are kept
/// (random keys cannot fill it), at most `capacity` of them; a revoked key stops working within `lifetime`.
final class APIKeyCache: Sendable {
    let lifetime: Duration
    let capacity: Int
    private let entries = Mutex<[[UInt8]: (principal: Principal, until: ContinuousClock.Instant)]>([:])

    init(lifetime: Duration = .seconds(5), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func principal(for hash: [UInt8], at now: ContinuousClock.Instant) -> Principal? {
        entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard now < entry.until else {
                entries[hash] = nil
                return nil
            }
            return entry.principal
        }
    }

    func remember(_ principal: Principal, for hash: [UInt8], at now: ContinuousClock.Instant) {
        guard lifetime > .zero else { return }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[hash] = (principal, now + lifetime)
        }
    }
}

extension HTTPField.Name {
    static let apiKey = HTTPField.Name("X-API-Key")!
    static let traceID = HTTPField.Name("X-Trace-ID")!
}

/// The one middleware in front of every route: it stamps a trace id on every response, authenticates and
/// rate-limits every path but the open ones, turns every error into the spec's error body (never a bare
/// 500 or a framework message), and feeds the figures GET /health reports.
struct RelayMiddleware: RouterMiddleware {
    typealias Context = RelayContext

    let authenticator: RelayAuthenticator
    let limiter: RateLimiter
    let metrics: RequestMetrics
    let logger: Logger

    /// Paths served without credentials.
    static let openPaths: Set<String> = ["/api/v1/health"]

    /// Whether a path is served without credentials: the health check, and the dashboard's static files (a
    /// browser cannot send a bearer token when it loads a page; the page's own API calls carry one).
    static func isOpen(_ path: String) -> Bool {
        openPaths.contains(path) || path == "/dashboard" || path.hasPrefix("/dashboard/")
    }

    func handle(
        _ request: Request, context: RelayContext, next: (Request, RelayContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let started = ContinuousClock.now
        var rateHeaders: [(name: String, value: String)] = []
        var response: Response
        do {
            if !Self.isOpen(request.uri.path) {
                let principal = try await authenticator.authenticate(request)
                context.principal = principal
                let decision = limiter.check(principal, now: Timestamp(Date()))
                rateHeaders = decision.headerFields
                guard decision.isAllowed else { throw APIError.rateLimited(decision) }
            }
            response = try await next(request, context)
        } catch {
            response = Self.errorResponse(for: error, traceID: context.traceID, logger: logger, path: request.uri.path)
        }
        response.headers[.traceID] = context.traceID
        for header in rateHeaders {
            if let name = HTTPField.Name(header.name) { response.headers[name] = header.value }
        }
        metrics.recordRequest(duration: ContinuousClock.now - started, status: response.status.code)
        return response
    }

    /// The spec's error body for anything a handler or the framework threw.
    static func errorResponse(for error: any Error, traceID: String, logger: Logger, path: String) -> Response {
        switch error {
        case let error as APIError:
            return error.response(traceID: traceID)
        case let error as AuthError:
            var headers: HTTPFields = [:]
            if let challenge = error.wwwAuthenticate { headers[.wwwAuthenticate] = challenge }
            return APIError(
                status: HTTPResponse.Status(code: error.status), code: ErrorCode(rawValue: error.code), message: error.message,
                details: error.details, headers: headers
            ).response(traceID: traceID)
        case let error as RelayStoreError:
            return APIError(storeError: error).response(traceID: traceID)
        case let error as HTTPError:
            let code: ErrorCode
            switch error.status {
            case .notFound: code = .notFound
            case .methodNotAllowed: code = "METHOD_NOT_ALLOWED"
            case .contentTooLarge: code = "PAYLOAD_TOO_LARGE"
            case .badRequest: code = .validationError
            default: code = error.status.code >= 500 ? .internalError : ErrorCode(rawValue: "HTTP_\(error.status.code)")
            }
            let message = error.status == .notFound ? "No route for \(path)" : (error.body ?? error.status.reasonPhrase)
            if error.status == .badRequest {
                return APIError.badRequest(message).response(traceID: traceID)
            }
            return APIError(status: error.status, code: code, message: message).response(traceID: traceID)
        default:
            logger.error("Unhandled error", metadata: ["trace_id": "\(traceID)", "error": "\(error)"])
            return APIError.internalError.response(traceID: traceID)
        }
    }
}

extension APIError {
    /// The HTTP face of a storage failure: conflicts and missing rows are the caller's; the rest is ours.
    init(storeError: RelayStoreError) {
        switch storeError {
        case .conflict(let what):
            self.init(status: .conflict, code: .deviceExists, message: "\(what) already exists")
        case .notFound(let what):
            self.init(status: .notFound, code: .notFound, message: "\(what) not found")
        case .tooManyPoints:
            self.init(
                status: .badRequest, code: .validationError, message: "\(storeError)",
                details: ["field_errors": .array([.object(["field": .string("resolution"), "message": .string("\(storeError)")])])])
        default:
            self.init(status: .serviceUnavailable, code: "STORAGE_UNAVAILABLE", message: "Storage is unavailable: \(storeError)")
        }
    }
}
