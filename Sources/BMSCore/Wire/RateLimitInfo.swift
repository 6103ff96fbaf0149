/// The spec's rate-limit schema: the window's state and the headers that carry it.
public struct RateLimitInfo: Codable, Sendable, Equatable {
    public var rateLimit: RateLimitStatus
    public var headers: RateLimitHeaders

    /// The info for a status, with headers derived from it.
    public init(rateLimit: RateLimitStatus) {
        self.rateLimit = rateLimit
        self.headers = RateLimitHeaders(rateLimit)
    }

    enum CodingKeys: String, CodingKey {
        case rateLimit = "rate_limit"
        case headers
    }
}

/// State of one client's rate-limit window.
public struct RateLimitStatus: Codable, Sendable, Equatable {
    public var limit: Int
    public var remaining: Int
    public var resetTime: Timestamp
    public var windowSeconds: Int

    public init(limit: Int, remaining: Int, resetTime: Timestamp, windowSeconds: Int) {
        self.limit = limit
        self.remaining = remaining
        self.resetTime = resetTime
        self.windowSeconds = windowSeconds
    }

    enum CodingKeys: String, CodingKey {
        case limit, remaining
        case resetTime = "reset_time"
        case windowSeconds = "window_seconds"
    }
}

/// The `X-RateLimit-*` headers; `reset` is in Unix seconds.
public struct RateLimitHeaders: Codable, Sendable, Equatable {
    public var limit: String
    public var remaining: String
    public var reset: String

    public init(limit: String, remaining: String, reset: String) {
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
    }

    /// The headers for a window's state. `reset` rounds up to the next whole second.
    public init(_ status: RateLimitStatus) {
        let milliseconds = status.resetTime.millisecondsSinceEpoch
        let seconds = milliseconds / 1000 + (milliseconds % 1000 > 0 ? 1 : 0)
        self.init(limit: String(status.limit), remaining: String(status.remaining), reset: String(seconds))
    }

    /// The headers as name/value pairs, ready for an HTTP response.
    public var fields: [(name: String, value: String)] {
        [(CodingKeys.limit.rawValue, limit), (CodingKeys.remaining.rawValue, remaining),
         (CodingKeys.reset.rawValue, reset)]
    }

    enum CodingKeys: String, CodingKey {
        case limit = "X-RateLimit-Limit"
        case remaining = "X-RateLimit-Remaining"
        case reset = "X-RateLimit-Reset"
    }
}
