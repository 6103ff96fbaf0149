import Synchronization

/// Lets one async operation through at a time, in the order they arrive.
///
/// An actor does not do this: it is reentrant at every `await`, and the operations it guards await pack
/// writes. A waiting operation is not woken by cancellation; what it waits behind is bounded by the pack's
/// response timeout.
final class SerialGate: Sendable {
    private let state = Mutex<(busy: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    /// Runs `body` once every operation that arrived before it has finished.
    func withTurn<T>(_ body: () async -> T) async -> T {
        await enter()
        defer { leave() }
        return await body()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let admitted = state.withLock { state -> Bool in
                guard !state.busy else {
                    state.waiters.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    /// Hands the turn to the longest waiter, or opens the gate.
    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
