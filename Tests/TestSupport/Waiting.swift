/// Waits for `condition`, checking it every 20 ms; throws after `seconds`. The check is the
/// synchronisation; the deadline only keeps a broken test from hanging.
public func eventually(
    _ what: @autoclosure () -> String = "condition", seconds: Double, _ condition: () throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while try !condition() {
        guard ContinuousClock.now < deadline else { throw TestSupportError.didNotStart("\(what()) within \(seconds) s") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// `eventually` for a condition that must await (a read, a poll).
public func eventuallyAsync(
    _ what: @autoclosure () -> String = "condition", seconds: Double, _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestSupportError.didNotStart("\(what()) within \(seconds) s") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Runs `operation`, or returns `nil` if it has not finished after `limit` (a guard against hanging).
public func withTimeout<Value: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async -> Value?
) async throws -> Value? {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

/// A small deterministic generator for randomised tests.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
