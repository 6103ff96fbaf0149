import BMSCore
import Logging
import Synchronization

/// One poll of one pack: what was read and what safety concluded.
struct PollUpdate: Sendable {
    var snapshot: PackSnapshot
    var verdict: SafetyVerdict
    /// Whether this poll's read succeeded.
    var fresh: Bool
}

/// Per-device acquisition counters.
struct PollCounters: Sendable, Equatable {
    var requests = 0
    var successes = 0
    var timeouts = 0
    var exceptions = 0
    var otherFailures = 0
    var consecutiveFailures = 0
    var lastLatencyMilliseconds = 0.0
    var totalLatencyMilliseconds = 0.0

    var meanLatencyMilliseconds: Double { successes == 0 ? 0 : totalLatencyMilliseconds / Double(successes) }
}

/// Polls one pack, checks every sample locally and carries out protective actions — no network involved.
///
/// A failed read makes the last snapshot stale (never republished as fresh) and backs off exponentially
/// (interval × 2ⁿ, at most `maximumBackoff`), so a silent unit costs its bus neighbours as little time as
/// possible. The communication-loss rule sees the growing silence either way.
final class DevicePoller<PollClock: Clock>: Sendable where PollClock.Duration == Duration {
    let deviceID: String
    let interval: Duration
    let maximumBackoff: Duration
    /// Polls a late poller may run back to back to get back onto its schedule.
    static var maximumCatchUp: Int { 3 }
    /// Every poll's result for the first observer (tests and the transition log), newest 64 kept.
    let updates: AsyncStream<PollUpdate>

    private let source: any PackSource
    private let clock: PollClock
    private let now: @Sendable () -> Timestamp
    private let actionLog: ActionLog
    private let logger: Logger
    private let sink: AsyncStream<PollUpdate>.Continuation
    private let observers = Mutex<[AsyncStream<PollUpdate>.Continuation]>([])
    private let state: Mutex<State>

    private struct State {
        var monitor: SafetyMonitor
        var counters = PollCounters()
        var last: PollUpdate?
        var commandsInForce: Set<LocalCommand> = []
        var lastAttempt = ContinuousClock.now
    }

    init(
        deviceID: String, source: any PackSource, limits: SafetyLimits, policy: SafetyPolicy, interval: Duration,
        maximumBackoff: Duration = .seconds(30), clock: PollClock, now: @escaping @Sendable () -> Timestamp,
        actionLog: ActionLog, logger: Logger = Logger(label: "pulsebms.poller")
    ) {
        self.deviceID = deviceID
        self.source = source
        self.interval = interval
        self.maximumBackoff = maximumBackoff
        self.clock = clock
        self.now = now
        self.actionLog = actionLog
        self.logger = logger
        state = Mutex(State(monitor: SafetyMonitor(limits: limits, policy: policy)))
        (updates, sink) = AsyncStream.makeStream(of: PollUpdate.self, bufferingPolicy: .bufferingNewest(64))
    }

    /// Another stream of every poll's result, with its own buffer: `limit` updates are kept for a slow
    /// reader, then the oldest are dropped (the reader can see gaps by sequence number).
    func makeUpdateStream(keeping limit: Int) -> AsyncStream<PollUpdate> {
        let (stream, continuation) = AsyncStream.makeStream(of: PollUpdate.self, bufferingPolicy: .bufferingNewest(limit))
        observers.withLock { $0.append(continuation) }
        return stream
    }

    var counters: PollCounters { state.withLock { $0.counters } }
    /// When the poller last started a read (for the watchdog: a stuck poller stops advancing this).
    var lastAttempt: ContinuousClock.Instant { state.withLock { $0.lastAttempt } }
    /// The limits the poller protects the pack with.
    var limits: SafetyLimits { state.withLock { $0.monitor.limits } }
    var latest: PollUpdate? { state.withLock { $0.last } }

    /// Polls until the task is cancelled, on fixed deadlines: a poll that was delayed (say by a neighbour's
    /// timeout on a shared line) does not push the later ones back, so the rate stays the configured one.
    /// After a failed read the next attempt backs off: interval × 2ⁿ, at most `maximumBackoff`.
    func run() async {
        var lastFreshRead: Timestamp?
        var deadline = clock.now
        while !Task.isCancelled {
            let update = await pollOnce(lastFreshRead: &lastFreshRead)
            if update.fresh {
                deadline = deadline.advanced(by: interval)
            } else {
                let failures = state.withLock { $0.counters.consecutiveFailures }
                deadline = clock.now.advanced(by: min(interval * (1 << min(failures, 16)), maximumBackoff))
            }
            // A short stall (a neighbour's timeout) is caught up on the same grid; after a long one (more than
            // `maximumCatchUp` polls behind) the grid restarts from now instead of bursting.
            if deadline.advanced(by: interval * Self.maximumCatchUp) < clock.now { deadline = clock.now }
            do {
                try await clock.sleep(until: deadline, tolerance: nil)
            } catch {
                break
            }
        }
        sink.finish()
        for observer in observers.withLock({ $0 }) { observer.finish() }
    }

    /// One read, one safety evaluation, and any protective action it calls for.
    func pollOnce(lastFreshRead: inout Timestamp?) async -> PollUpdate {
        let previous = state.withLock { $0.last?.snapshot }
        let started = ContinuousClock.now  // latency is a real measurement, whatever clock paces the polls
        state.withLock { $0.lastAttempt = started }
        let time = now()
        var snapshot: PackSnapshot
        var fresh = true
        do {
            snapshot = try await source.read(at: time, previous: previous)
            let latency = ContinuousClock.now - started
            let milliseconds = Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15
            lastFreshRead = time
            state.withLock {
                $0.counters.requests += 1
                $0.counters.successes += 1
                $0.counters.consecutiveFailures = 0
                $0.counters.lastLatencyMilliseconds = milliseconds
                $0.counters.totalLatencyMilliseconds += milliseconds
            }
        } catch {
            fresh = false
            state.withLock { state in
                state.counters.requests += 1
                state.counters.consecutiveFailures += 1
                switch error {
                case .modbus(.timeout): state.counters.timeouts += 1
                case .modbus(.exception): state.counters.exceptions += 1
                default: state.counters.otherFailures += 1
                }
            }
            logger.debug("Read failed", metadata: ["pack.id": "\(deviceID)", "error": "\(error)"])
            let counters = counters
            let quality = Double(counters.successes) / Double(max(1, counters.requests))
            let silence = lastFreshRead.map { Double(time.millisecondsSinceEpoch - $0.millisecondsSinceEpoch) / 1000 }
            snapshot = previous?.markedStale(at: time, dataQuality: quality)
                ?? PackSnapshot(deviceID: deviceID, takenAt: time, dataQuality: quality, secondsSinceLastRead: silence ?? 0)
            if previous == nil, silence == nil {
                // Never heard from the pack: count the silence from the first attempt.
                lastFreshRead = lastFreshRead ?? time
            }
        }
        if fresh {
            let counters = counters
            snapshot.dataQuality = Double(counters.successes) / Double(max(1, counters.requests))
        }

        let verdict = state.withLock { $0.monitor.evaluate(SafetyInput(snapshot)) }
        await act(on: verdict, at: time)
        let update = PollUpdate(snapshot: snapshot, verdict: verdict, fresh: fresh)
        state.withLock { $0.last = update }
        sink.yield(update)
        for observer in observers.withLock({ $0 }) { observer.yield(update) }
        return update
    }

    /// Writes the local commands the verdict newly requires; a failed write is retried at the next poll.
    private func act(on verdict: SafetyVerdict, at time: Timestamp) async {
        let required = LocalCommand.required(by: verdict)
        let inForce = state.withLock { $0.commandsInForce }
        let reasons = verdict.alarms.filter { $0.severity >= .alarm }.map(\.code)
        for command in LocalCommand.allCases where required.contains(command) && !inForce.contains(command) {
            let result: String
            do {
                try await source.perform(command)
                state.withLock { _ = $0.commandsInForce.insert(command) }
                result = "ok"
            } catch {
                result = "failed: \(error)"
            }
            actionLog.record(ActionLog.Entry(timestamp: time, deviceID: deviceID, command: command.rawValue, reasons: reasons, result: result))
        }
        // Commands no longer required are not undone here: reconnecting a pack is an operator's reset.
    }

    /// Whether a critical fault is latched on this pack (operator starts are refused until a reset).
    var hasLatchedFault: Bool { state.withLock { !$0.monitor.latchedRuleIDs.isEmpty } }

    /// An operator started the pack again: protective commands are no longer in force, so a recurring fault
    /// is acted on anew.
    func operatorStarted() {
        state.withLock { $0.commandsInForce.removeAll() }
    }

    /// Releases latched faults whose cause has cleared, resets the pack's own alarms, and lets the agent act
    /// again if they recur. Returns the rules still latched.
    func reset() async -> SafetyResetOutcome {
        let outcome = state.withLock { state in
            let outcome = state.monitor.reset()
            if outcome.stillLatched.isEmpty { state.commandsInForce.removeAll() }
            return outcome
        }
        let result: String
        do {
            try await source.perform(.resetAlarms)
            result = "ok"
        } catch {
            result = "failed: \(error)"
        }
        actionLog.record(ActionLog.Entry(timestamp: now(), deviceID: deviceID, command: LocalCommand.resetAlarms.rawValue, reasons: outcome.stillLatched, result: result))
        return outcome
    }
}
