import BMSCore
import NIOCore
import Synchronization

/// One WebSocket connection's side of the live streams: who it is, and its outbound queue.
///
/// The hub fills the queue without ever waiting; the connection's sending task drains it with `next()`, one
/// message at a time, and writes each to the socket. A client that stays behind (see `OutboundQueue`) for longer
/// than the hub's limit is closed: its queue is emptied and `next()` answers `.close(reason:)`, then `nil`.
final class LiveClient: Sendable {
    /// What the sending task does next.
    enum Outbound: Sendable, Equatable {
        /// Write this message: `encoded` when the hub already encoded it for every client, else encode it with
        /// `WireCoding`.
        case message(WebSocketServerMessage, encoded: ByteBuffer? = nil)
        /// Close the socket with this reason; nothing more follows.
        case close(reason: String)
    }

    /// The `{client_id}` of `/ws/{client_id}`.
    let clientID: String
    /// Who authenticated the upgrade request; a client only ever receives data of sites it may see.
    let principal: Principal
    /// How long the client may stay behind before it is closed, in ms.
    private let slowLimitMilliseconds: Int64
    private let state: Mutex<State>

    private struct State {
        var queue: OutboundQueue
        /// The sending task, while it waits for a message.
        var waiter: CheckedContinuation<Outbound?, Never>?
        var closeReason: String?
        var closeDelivered = false
        /// Disconnected: nothing more is queued or delivered.
        var finished = false
    }

    init(clientID: String, principal: Principal, capacity: Int, slowLimit: Duration) {
        self.clientID = clientID
        self.principal = principal
        slowLimitMilliseconds = max(0, slowLimit.saturatingMilliseconds)
        state = Mutex(State(queue: OutboundQueue(capacity: capacity)))
    }

    // MARK: - The sending task

    /// The next thing to do: a message to write, `.close(reason:)` once when the client is closed for falling
    /// behind, or `nil` when the client is disconnected (or the waiting task is cancelled).
    ///
    /// One sending task per client: a second concurrent caller gets `nil`.
    func next() async -> Outbound? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outbound?, Never>) in
                let ready: Outbound?? = state.withLock { state in
                    if let reason = state.closeReason {
                        defer { state.closeDelivered = true }
                        return .some(state.closeDelivered ? nil : .close(reason: reason))
                    }
                    if state.finished || Task.isCancelled || state.waiter != nil { return .some(nil) }
                    if let item = state.queue.dequeueItem() { return .some(.message(item.message, encoded: item.encoded)) }
                    state.waiter = continuation
                    return .none
                }
                if case .some(let outbound) = ready { continuation.resume(returning: outbound) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Up to `limit` messages already queued, without waiting: what the sending task writes after `next()`
    /// before it flushes and waits again. Empty once the client is closed or disconnected.
    func ready(limit: Int) -> [Outbound] {
        state.withLock { state in
            guard !state.finished, state.closeReason == nil else { return [] }
            var batch: [Outbound] = []
            while batch.count < limit, let item = state.queue.dequeueItem() {
                batch.append(.message(item.message, encoded: item.encoded))
            }
            return batch
        }
    }

    // MARK: - Observing

    /// Why the client was closed, once it has been.
    var closeReason: String? { state.withLock { $0.closeReason } }

    /// Messages waiting to be sent.
    var queuedCount: Int { state.withLock { $0.queue.count } }

    /// Telemetry samples dropped for this client since it connected.
    var droppedTotal: Int { state.withLock { $0.queue.droppedTotal } }

    // MARK: - Driven by the hub

    /// Queues `message` (or hands it straight to a waiting sending task) at relay time `time`, then closes the
    /// client if it has been behind for longer than the limit.
    func enqueue(_ message: WebSocketServerMessage, at time: Timestamp) {
        enqueue(OutboundQueue.Item(message), at: time)
    }

    /// Queues `item` (a message with its shared encoding) like `enqueue(_:at:)`.
    func enqueue(_ item: OutboundQueue.Item, at time: Timestamp) {
        enqueue(contentsOf: [item], at: time)
    }

    /// Queues `items` in order like `enqueue(_:at:)`, waking the sending task once.
    func enqueue(contentsOf items: [OutboundQueue.Item], at time: Timestamp) {
        let resume: (CheckedContinuation<Outbound?, Never>, Outbound)? = state.withLock { state in
            guard !state.finished, state.closeReason == nil else { return nil }
            for item in items { state.queue.enqueue(item, at: time) }
            if let waiter = state.waiter, let next = state.queue.dequeueItem() {
                state.waiter = nil
                return (waiter, .message(next.message, encoded: next.encoded))
            }
            return closeIfSlow(&state, at: time)
        }
        if case let (waiter, outbound)? = resume { waiter.resume(returning: outbound) }
    }

    /// Closes the client if it has been behind for longer than the limit at relay time `time`.
    func checkProgress(at time: Timestamp) {
        let resume = state.withLock { state in
            state.finished || state.closeReason != nil ? nil : closeIfSlow(&state, at: time)
        }
        if case let (waiter, outbound)? = resume { waiter.resume(returning: outbound) }
    }

    /// Closes the client with `reason`: the queue is emptied and the sending task told to close the socket.
    func close(reason: String) {
        let resume = state.withLock { state in close(&state, reason: reason) }
        if case let (waiter, outbound)? = resume { waiter.resume(returning: outbound) }
    }

    /// Forgets queued messages of `topic`.
    func removeQueued(of topic: StreamTopic) {
        state.withLock { $0.queue.removeAll(of: topic) }
    }

    /// The connection is gone: drops the queue and ends the sending task's loop.
    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            state.queue.clear()
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    private func closeIfSlow(
        _ state: inout State, at time: Timestamp
    ) -> (CheckedContinuation<Outbound?, Never>, Outbound)? {
        guard let since = state.queue.behindSince, time.millisecondsSince(since) >= slowLimitMilliseconds else {
            return nil
        }
        return close(&state, reason: "too slow: \(state.queue.droppedTotal) messages dropped")
    }

    private func close(
        _ state: inout State, reason: String
    ) -> (CheckedContinuation<Outbound?, Never>, Outbound)? {
        guard !state.finished, state.closeReason == nil else { return nil }
        state.closeReason = reason
        state.queue.clear()
        guard let waiter = state.waiter else { return nil }
        state.waiter = nil
        state.closeDelivered = true
        return (waiter, .close(reason: reason))
    }
}
