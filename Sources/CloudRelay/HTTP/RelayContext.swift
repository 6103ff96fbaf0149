import BMSCore
import Hummingbird

/// The per-request context: Hummingbird's core storage plus what the relay's middleware learns about the
/// request — its trace id, the authenticated principal and the rate-limit decision.
struct RelayContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The id every response carries (header `X-Trace-ID` and, in errors, `trace_id`).
    var traceID: String
    /// Who is calling; `nil` only on open endpoints.
    var principal: Principal?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        traceID = TraceID.make()
        principal = nil
    }

    /// Request bodies beyond 1 MiB are refused (413) before they are read.
    var maxUploadSize: Int { 1 << 20 }

    /// The caller, for handlers behind the auth middleware.
    func requirePrincipal() throws(APIError) -> Principal {
        guard let principal else { throw APIError(status: .unauthorized, code: "AUTHENTICATION_REQUIRED", message: "Authentication required") }
        return principal
    }
}

/// Trace ids: `trace_` and 16 random hex digits.
enum TraceID {
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return "trace_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
