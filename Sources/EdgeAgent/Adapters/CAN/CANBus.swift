import BMSCore
import Foundation
import Synchronization

/// A link that carries CAN frames: a SocketCAN socket, an slcan adapter, or a candump log being replayed.
/// Used by exactly one `CANBus` thread.
protocol CANChannel: AnyObject {
    /// Waits up to `timeoutMilliseconds` for the next frame; `nil` after a timeout.
    func receive(timeoutMilliseconds: Int32) throws(CANBusError) -> CANReception?
    /// Sends one frame.
    func send(_ frame: CANFrame) throws(CANBusError)
    /// Closes the link.
    func close()
}

/// One CAN bus and the thread that owns its link.
///
/// The thread receives frames and hands each to every listener (the packs' decoders) at once; sends queued
/// by callers go out between receives, so a protective command waits at most one receive slice
/// (`sliceMilliseconds`). Periodic frames (the CAN-bus BMS 0x305 keep-alive) are sent by the same thread on
/// their own schedule, network or not. When the link fails the thread closes it and opens it again after
/// `reopenDelay`, counting the failure.
final class CANBus: Sendable {
    typealias Listener = @Sendable (CANFrame, Timestamp) -> Void

    /// Counters of the bus since start.
    struct Counters: Sendable, Equatable {
        var framesReceived = 0
        var framesSent = 0
        /// Frames or lines that arrived malformed and were skipped.
        var malformed = 0
        /// Times the link failed or could not be opened.
        var linkFailures = 0
        var linkUp = false
        var lastError: String?
    }

    let id: String
    static let sliceMilliseconds: Int32 = 20
    private let listeners = Mutex<[Listener]>([])
    private let outgoing = Mutex<[(CANFrame, @Sendable (Result<Void, CANBusError>) -> Void)]>([])
    private let periodic = Mutex<[(frame: CANFrame, interval: Duration, next: ContinuousClock.Instant)]>([])
    private let state = Mutex(Counters())
    private let stopped = Mutex(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Mutex(false)
    private let open: @Sendable () throws(CANBusError) -> any CANChannel
    private let reopenDelay: Duration

    /// A bus whose link `open` makes; nothing runs until `start()`, so listeners added before it miss no
    /// frame. `open` is called on the bus thread, again `reopenDelay` after every failure.
    init(id: String, reopenDelay: Duration = .seconds(1), open: @escaping @Sendable () throws(CANBusError) -> any CANChannel) {
        self.id = id
        self.open = open
        self.reopenDelay = reopenDelay
    }

    /// Starts the bus thread (once).
    func start() {
        let first = started.withLock { flag -> Bool in
            defer { flag = true }
            return !flag
        }
        guard first else { return }
        let thread = Thread { [self] in run(open: open, reopenDelay: reopenDelay) }
        thread.name = "can-\(id)"
        thread.start()
    }

    var counters: Counters { state.withLock { $0 } }

    /// Adds a listener called on the bus thread for every frame received; it must return quickly.
    func addListener(_ listener: @escaping Listener) {
        listeners.withLock { $0.append(listener) }
    }

    /// Sends `frame` every `interval` from now on, for as long as the bus runs.
    func sendPeriodically(_ frame: CANFrame, every interval: Duration) {
        periodic.withLock { $0.append((frame, interval, ContinuousClock.now)) }
    }

    /// Sends one frame on the bus thread and waits until it is written.
    func send(_ frame: CANFrame) async throws(CANBusError) {
        let result: Result<Void, CANBusError> = await withCheckedContinuation { continuation in
            // A send never waits for a link that is down: the caller (a protective action) is told at once
            // and retries at its next poll, instead of hanging until the link returns.
            let refusal = outgoing.withLock { queue -> CANBusError? in
                if stopped.withLock({ $0 }) { return .linkDown("bus \(id) is stopped") }
                if let reason = state.withLock({ $0.linkUp ? nil : ($0.lastError ?? "not open yet") }) {
                    return .linkDown("bus \(id): \(reason)")
                }
                queue.append((frame, { continuation.resume(returning: $0) }))
                return nil
            }
            if let refusal { continuation.resume(returning: .failure(refusal)) }
        }
        try result.get()
    }

    /// Ends the thread and closes the link; queued sends fail.
    func stop() {
        let first = stopped.withLock { flag -> Bool in
            defer { flag = true }
            return !flag
        }
        if first, started.withLock({ $0 }) { finished.wait() }
    }

    private func run(open: @Sendable () throws(CANBusError) -> any CANChannel, reopenDelay: Duration) {
        defer { finished.signal() }
        var channel: (any CANChannel)?
        while !stopped.withLock({ $0 }) {
            if channel == nil {
                do throws(CANBusError) {
                    channel = try open()
                    state.withLock { $0.linkUp = true }
                } catch {
                    fail(error)
                    pause(reopenDelay)
                    continue
                }
            }
            guard let link = channel else { continue }
            do throws(CANBusError) {
                try sendPending(on: link)
                switch try link.receive(timeoutMilliseconds: Self.sliceMilliseconds) {
                case .frame(let frame, let time)?:
                    state.withLock { $0.framesReceived += 1 }
                    for listener in listeners.withLock({ $0 }) { listener(frame, time) }
                case .malformed(let reason)?:
                    state.withLock {
                        $0.malformed += 1
                        $0.lastError = reason
                    }
                case nil:
                    break
                }
            } catch {
                link.close()
                channel = nil
                fail(error)
                pause(reopenDelay)
            }
        }
        channel?.close()
        let abandoned = outgoing.withLock { queue in defer { queue.removeAll() }; return queue }
        for (_, reply) in abandoned { reply(.failure(.linkDown("bus \(id) stopped"))) }
    }

    private func sendPending(on link: any CANChannel) throws(CANBusError) {
        let now = ContinuousClock.now
        let due = periodic.withLock { entries -> [CANFrame] in
            var frames: [CANFrame] = []
            for index in entries.indices where entries[index].next <= now {
                frames.append(entries[index].frame)
                entries[index].next = now.advanced(by: entries[index].interval)
            }
            return frames
        }
        for frame in due {
            do throws(CANBusError) {
                try link.send(frame)
                state.withLock { $0.framesSent += 1 }
            } catch {
                try failOnlyThisFrame(error)
            }
        }
        let queued = outgoing.withLock { queue in defer { queue.removeAll() }; return queue }
        for (index, (frame, reply)) in queued.enumerated() {
            do throws(CANBusError) {
                try link.send(frame)
                state.withLock { $0.framesSent += 1 }
                reply(.success(()))
            } catch {
                reply(.failure(error))
                if case .linkDown = error {
                    for (_, later) in queued.dropFirst(index + 1) { later(.failure(error)) }
                    throw error
                }
                try failOnlyThisFrame(error)
            }
        }
    }

    /// A frame the link refused (a full transmit queue, an adapter's BEL) fails alone; only a link that is gone
    /// is torn down.
    private func failOnlyThisFrame(_ error: CANBusError) throws(CANBusError) {
        if case .linkDown = error { throw error }
        state.withLock { $0.lastError = error.description }
    }

    /// Marks the link down and fails every queued send with `error`.
    private func fail(_ error: CANBusError) {
        let abandoned = outgoing.withLock { queue in
            state.withLock {
                $0.linkUp = false
                $0.linkFailures += 1
                $0.lastError = error.description
            }
            defer { queue.removeAll() }
            return queue
        }
        for (_, reply) in abandoned { reply(.failure(error)) }
    }

    /// Waits `delay`, waking early when the bus is stopped.
    private func pause(_ delay: Duration) {
        let end = ContinuousClock.now.advanced(by: delay)
        while ContinuousClock.now < end, !stopped.withLock({ $0 }) {
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
