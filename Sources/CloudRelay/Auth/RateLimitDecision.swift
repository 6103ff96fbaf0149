import BMSCore

/// How many requests a bucket may make per window.
struct RateLimitPolicy: Sendable, Hashable {
    /// Requests allowed in one window.
    var limit: Int
    /// Length of a window; windows are aligned to the Unix epoch (an hour-long window ends on the hour).
    var windowSeconds: Int

    /// A policy; values below 1 are raised to 1 (configuration validation should refuse them first).
    init(limit: Int, windowSeconds: Int) {
        self.limit = max(1, limit)
        self.windowSeconds = max(1, windowSeconds)
    }
}

/// The outcome of one `RateLimiter.check`: whether to serve the request and what to tell the client.
struct RateLimitDecision: Sendable, Hashable {
    /// Whether the request may proceed; when `false`, answer 429.
    var isAllowed: Bool
    /// Requests allowed per window.
    var limit: Int
    /// Requests left in this window after this one.
    var remaining: Int
    /// Unix seconds at which the window ends and the count starts again (`X-RateLimit-Reset`).
    var resetAt: Int64
    /// The window length.
    var windowSeconds: Int
    /// Whole seconds until a retry can succeed (`Retry-After`); `nil` when allowed.
    var retryAfterSeconds: Int?

    init(
        isAllowed: Bool, limit: Int, remaining: Int, resetAt: Int64, windowSeconds: Int, retryAfterSeconds: Int?
    ) {
        self.isAllowed = isAllowed
        self.limit = limit
        self.remaining = remaining
        self.resetAt = resetAt
        self.windowSeconds = windowSeconds
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The spec's rate-limit status.
    var status: RateLimitStatus {
        RateLimitStatus(
            limit: limit, remaining: remaining, resetTime: Timestamp(millisecondsSinceEpoch: resetAt * 1000),
            windowSeconds: windowSeconds)
    }

    /// The spec's rate-limit schema (status and headers).
    var info: RateLimitInfo { RateLimitInfo(rateLimit: status) }

    /// The headers for every response: `X-RateLimit-Limit`, `-Remaining`, `-Reset`, and `Retry-After` on a 429.
    var headerFields: [(name: String, value: String)] {
        var fields = info.headers.fields
        if let retryAfterSeconds { fields.append((name: "Retry-After", value: String(retryAfterSeconds))) }
        return fields
    }

    /// The 429 body: the standard error shape with code `RATE_LIMIT_EXCEEDED`.
    func errorResponse(timestamp: Timestamp, traceID: String) -> ErrorResponse {
        let retryAfter = retryAfterSeconds ?? 0
        return ErrorResponse(
            error: ErrorBody(
                code: .rateLimited,
                message: "Rate limit of \(limit) requests per \(windowSeconds) s exceeded; retry in \(retryAfter) s",
                details: [
                    "limit": .number(Double(limit)),
                    "window_seconds": .number(Double(windowSeconds)),
                    "retry_after_seconds": .number(Double(retryAfter)),
                    "reset_time": .string(status.resetTime.rfc3339),
                ],
                timestamp: timestamp, traceID: traceID))
    }
}
