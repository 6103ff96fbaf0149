import CMosquitto
import Dispatch
import Foundation
import Logging
import Synchronization

/// An MQTT 5 client over libmosquitto.
///
/// libmosquitto runs on a dedicated network thread owned by this client, never on Swift's cooperative pool.
/// The thread connects with the MQTT 5 CONNECT properties on *every* (re)connect — libmosquitto's own
/// `loop_start` reconnects without them, which would silently turn a persistent session into one that ends
/// at the next disconnect. Publishing resumes when the broker acknowledges (PUBACK for QoS 1); incoming
/// messages arrive on `messages`.
///
/// The thread waits with `poll`, not libmosquitto's `mosquitto_loop`: that one uses `select`, which cannot
/// watch a descriptor numbered 1024 or more and refuses it (MOSQ_ERR_INVAL), so a process with many open
/// descriptors (a relay serving a thousand WebSocket clients) would never connect again after a reconnect.
public final class MosquittoClient: Sendable {
    public let options: MQTTClientOptions
    /// Every message received on the client's subscriptions, in arrival order. Never dropped: while the
    /// reader is `incomingBufferLimit` messages behind, the client stops reading from the broker (TCP holds
    /// the rest back, and the broker keeps them in the session) until the reader has taken half of them.
    public let messages: MQTTMessageStream
    /// Connects, refusals and disconnects, newest kept if nobody reads them.
    public let connectionEvents: AsyncStream<MQTTConnectionEvent>

    private let handle: MosquittoHandle
    private let state = Mutex(State())
    private let messageSink: AsyncStream<MQTTMessage>.Continuation
    private let eventSink: AsyncStream<MQTTConnectionEvent>.Continuation
    private let wakeup = DispatchSemaphore(value: 0)
    /// Wakes the network thread's `poll` when another thread queued a packet or asked it to stop.
    private let wakePipe: WakePipe
    private let logger: Logger

    /// Creates a client; nothing is sent until `start()`.
    /// - Throws: `MQTTError.library` when libmosquitto rejects the options (e.g. unreadable TLS files).
    public init(options: MQTTClientOptions, logger: Logger = Logger(label: "pulsebms.mqtt")) throws(MQTTError) {
        _ = mosquittoLibraryInitialised
        self.options = options
        self.logger = logger
        let (stream, sink) = AsyncStream.makeStream(of: MQTTMessage.self, bufferingPolicy: .unbounded)
        messageSink = sink
        let taken = TakenCounter()
        messages = MQTTMessageStream(base: stream, taken: taken)
        (connectionEvents, eventSink) = AsyncStream.makeStream(
            of: MQTTConnectionEvent.self, bufferingPolicy: .bufferingNewest(64))
        handle = try MosquittoHandle(options: options)
        wakePipe = try WakePipe()
        taken.onTake = { [weak self] in self?.messageTaken() }
    }

    /// The reader took a message: reading resumes once half the limit is left.
    private func messageTaken() {
        let resumeAt = max(1, options.incomingBufferLimit) / 2
        let resume = state.withLock { state -> Bool in
            state.undelivered -= 1
            guard state.readingPaused, state.undelivered <= resumeAt else { return false }
            state.readingPaused = false
            return true
        }
        if resume { wakePipe.wake() }
    }

    deinit {
        messageSink.finish()
        eventSink.finish()
    }

    // MARK: - Public API

    /// Whether the last CONNACK was accepted and the link has not closed since.
    public var isConnected: Bool { state.withLock { $0.connected } }

    /// Received messages the reader of `messages` has not taken yet.
    public var undeliveredMessages: Int { state.withLock { $0.undelivered } }

    /// Whether reading from the broker is paused because the reader of `messages` is behind.
    public var isReadingPaused: Bool { state.withLock { $0.readingPaused } }

    /// Starts the network thread, which connects and keeps reconnecting with back-off until `stop()`.
    public func start() {
        let shouldStart = state.withLock { state -> Bool in
            guard case .idle = state.phase else { return false }
            state.phase = .running
            return true
        }
        guard shouldStart else { return }
        handle.installCallbacks(userdata: Unmanaged.passUnretained(self).toOpaque())
        let thread = Thread { [self] in networkLoop() }
        thread.name = "mqtt-\(options.clientID)"
        thread.start()
    }

    /// Waits until the broker has accepted a connection.
    /// - Throws: `MQTTError.connectionRefused` if the broker refuses, `.stopped` after `stop()`,
    ///   `.cancelled` if the task is cancelled.
    public func waitUntilConnected() async throws(MQTTError) {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        let result: Result<Void, MQTTError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = state.withLock { state -> Result<Void, MQTTError>? in
                    if state.connected { return .success(()) }
                    if case .stopped = state.phase { return .failure(.stopped) }
                    if Task.isCancelled { return .failure(.cancelled) }
                    state.connectWaiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            state.withLock { $0.connectWaiters.removeValue(forKey: id) }?.resume(returning: .failure(.cancelled))
        }
        try result.get()
    }

    /// Publishes and waits for the broker: PUBACK for QoS 1, PUBCOMP for QoS 2, the write for QoS 0.
    /// - Throws: `.notConnected` (transient) while the link is down, `.publishRejected` when the broker
    ///   refuses it, `.stopped`, `.cancelled`.
    public func publish(
        _ topic: String, payload: [UInt8], qos: MQTTQoS = .atLeastOnce, retain: Bool = false
    ) async throws(MQTTError) {
        guard isConnected else { throw .notConnected }
        let generation = state.withLock { $0.generation }
        var mid: Int32 = 0
        let code = payload.withUnsafeBytes { bytes in
            mosquitto_publish_v5(
                handle.pointer, &mid, topic, Int32(bytes.count), bytes.baseAddress, qos.rawValue, retain, nil)
        }
        wakePipe.wake()
        // With QoS > 0 a NO_CONN answer means the link dropped after the check above: libmosquitto has queued
        // the message and sends it after reconnecting, so waiting for its acknowledgement is still right.
        if code != MOSQ_ERR_SUCCESS.rawValue && !(code == MOSQ_ERR_NO_CONN.rawValue && qos != .atMostOnce) {
            throw MQTTError.library(operation: "publish to \(topic)", code: code, message: Self.describe(code))
        }
        switch await completion(of: mid, resentAfterReconnect: qos != .atMostOnce, generation: generation) {
        case .published: return
        case .failed(let error): throw error
        case .subscribed: throw .library(operation: "publish", code: -1, message: "unexpected SUBACK")
        }
    }

    /// Subscribes and waits for the SUBACK. The subscription is renewed after any reconnect that did not
    /// resume the session.
    public func subscribe(_ filter: String, qos: MQTTQoS = .atLeastOnce) async throws(MQTTError) {
        guard isConnected else { throw .notConnected }
        let generation = state.withLock { state in
            state.subscriptions[filter] = qos
            return state.generation
        }
        var mid: Int32 = 0
        let code = mosquitto_subscribe_v5(handle.pointer, &mid, filter, qos.rawValue, 0, nil)
        wakePipe.wake()
        guard code == MOSQ_ERR_SUCCESS.rawValue else {
            throw .library(operation: "subscribe to \(filter)", code: code, message: Self.describe(code))
        }
        switch await completion(of: mid, resentAfterReconnect: false, generation: generation) {
        case .subscribed(let granted):
            if let reason = granted.first(where: { $0 >= 0x80 }) {
                state.withLock { _ = $0.subscriptions.removeValue(forKey: filter) }
                throw .subscriptionRejected(filter: filter, reasonCode: reason)
            }
        case .failed(let error): throw error
        case .published: throw .library(operation: "subscribe", code: -1, message: "unexpected PUBACK")
        }
    }

    /// Disconnects cleanly (the broker does not publish the Will), stops the network thread and fails every
    /// operation still waiting with `.stopped`.
    public func stop() async {
        let wasRunning = state.withLock { state -> Bool in
            guard case .running = state.phase else { return false }
            state.stopRequested = true
            return true
        }
        if wasRunning {
            // The network thread sends DISCONNECT itself and drains it to the socket before it exits.
            wakeup.signal()
            wakePipe.wake()
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let exited = state.withLock { state -> Bool in
                    if case .stopped = state.phase { return true }
                    state.exitWaiters.append(continuation)
                    return false
                }
                if exited { continuation.resume() }
            }
        }
        let waiting = state.withLock { state in
            state.phase = .stopped
            defer {
                state.pending.removeAll()
                state.connectWaiters.removeAll()
            }
            return (Array(state.pending.values), Array(state.connectWaiters.values))
        }
        for continuation in waiting.0 { continuation.resume(returning: .failed(.stopped)) }
        for continuation in waiting.1 { continuation.resume(returning: .failure(.stopped)) }
        messageSink.finish()
        eventSink.finish()
    }

    // MARK: - Completion of acknowledged operations

    /// Waits for the acknowledgement of `mid`. Operations libmosquitto does not resend after a reconnect
    /// (SUBSCRIBE, QoS 0) fail with `.notConnected` when the link drops, instead of waiting forever.
    ///
    /// `generation` is the connection the operation was sent on: if the link dropped in between (before this
    /// waiter could be registered), a not-resent operation fails at once instead of waiting forever.
    private func completion(of mid: Int32, resentAfterReconnect: Bool, generation: UInt64) async -> Completion {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = state.withLock { state -> Completion? in
                    if let early = state.early.removeValue(forKey: mid) { return early }
                    if case .stopped = state.phase { return .failed(.stopped) }
                    if Task.isCancelled {
                        state.abandoned.insert(mid)
                        return .failed(.cancelled)
                    }
                    if !resentAfterReconnect && state.generation != generation {
                        state.abandoned.insert(mid)
                        return .failed(.notConnected)
                    }
                    state.pending[mid] = continuation
                    if !resentAfterReconnect { state.notResent.insert(mid) }
                    return nil
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                } else if isReadingPaused {
                    // The network thread reads while an acknowledgement is awaited: let it know there is one.
                    wakePipe.wake()
                }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Completion, Never>? in
                guard let continuation = state.pending.removeValue(forKey: mid) else { return nil }
                state.abandoned.insert(mid)
                return continuation
            }
            continuation?.resume(returning: .failed(.cancelled))
        }
    }

    /// Called on the network thread when the broker acknowledges `mid`.
    private func complete(_ mid: Int32, with completion: Completion) {
        let continuation = state.withLock { state -> CheckedContinuation<Completion, Never>? in
            if let continuation = state.pending.removeValue(forKey: mid) {
                state.notResent.remove(mid)
                return continuation
            }
            // Nobody waits for it: either its waiter gave up (drop it), or the acknowledgement beat the
            // caller's registration (keep it for the caller, who registers right after the C call returns).
            if state.abandoned.remove(mid) == nil { state.early[mid] = completion }
            return nil
        }
        continuation?.resume(returning: completion)
    }

    // MARK: - Network thread

    private func networkLoop() {
        var delay = options.initialReconnectDelay
        while !state.withLock({ $0.stopRequested }) {
            let code = mosquitto_connect_bind_v5(
                handle.pointer, options.host, Int32(options.port), Int32(options.keepAliveSeconds), nil,
                handle.connectProperties)
            if code == MOSQ_ERR_SUCCESS.rawValue {
                while !state.withLock({ $0.stopRequested }) {
                    let loopCode = serviceSocket(timeoutMilliseconds: 500)
                    if loopCode != MOSQ_ERR_SUCCESS.rawValue { break }
                }
                if state.withLock({ $0.stopRequested }) { disconnectCleanly() }
                if state.withLock({ $0.acceptedSinceLastBackoff }) { delay = options.initialReconnectDelay }
            } else {
                logger.debug(
                    "MQTT connect failed",
                    metadata: ["mqtt.host": "\(options.host):\(options.port)", "mqtt.error": "\(Self.describe(code))"])
            }
            markDisconnected(reasonCode: code == MOSQ_ERR_SUCCESS.rawValue ? -1 : code)
            if state.withLock({ $0.stopRequested }) { break }
            _ = wakeup.wait(timeout: .now() + .nanoseconds(Int(delay.totalNanoseconds)))
            delay = min(delay * 2, options.maximumReconnectDelay)
            state.withLock { $0.acceptedSinceLastBackoff = false }
        }
        let exitWaiters = state.withLock { state in
            state.phase = .stopped
            defer { state.exitWaiters.removeAll() }
            return state.exitWaiters
        }
        for continuation in exitWaiters { continuation.resume() }
    }

    /// Sends DISCONNECT (so the broker discards the Will) and runs the loop until it is written and the
    /// socket closes, for at most a second.
    private func disconnectCleanly() {
        guard mosquitto_disconnect_v5(handle.pointer, 0, nil) == MOSQ_ERR_SUCCESS.rawValue else { return }
        let deadline = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < deadline {
            if serviceSocket(timeoutMilliseconds: 50) != MOSQ_ERR_SUCCESS.rawValue { break }
        }
    }

    /// One turn of the network loop — what `mosquitto_loop` does, waiting with `poll` instead of `select`:
    /// read when the socket is readable (this also carries a TLS handshake forward), write whatever is queued,
    /// then the keep-alive. Returns libmosquitto's code; anything but success means the link is down.
    private func serviceSocket(timeoutMilliseconds: Int32) -> Int32 {
        let socket = mosquitto_socket(handle.pointer)
        guard socket >= 0 else { return MOSQ_ERR_NO_CONN.rawValue }
        // Flow control: while the reader is too far behind, nothing more is read — except while connecting
        // (the CONNACK) and while an operation of ours awaits its acknowledgement (a reader that publishes and
        // waits for the PUBACK before it takes the next message would otherwise wait forever). A hang-up or an
        // error is always read, to notice the link is gone.
        let limit = max(1, options.incomingBufferLimit)
        // Announced before looking at the queue: a packet queued after this wakes the poll, one queued before it
        // is seen by `want_write` below (so no wake is lost, and publishers skip the pipe while this thread works).
        // (An exchange, not a store: reading a publisher's "false" orders its queued packet before our check.)
        _ = wakePipe.sleeping.exchange(true, ordering: .sequentiallyConsistent)
        let (reading, stopping) = state.withLock { state -> (Bool, Bool) in
            if state.undelivered >= limit { state.readingPaused = true }
            return (!state.readingPaused || !state.connected || !state.pending.isEmpty, state.stopRequested)
        }
        var descriptors = [
            pollfd(
                fd: socket, events: (reading ? Int16(POLLIN) : 0) | (mosquitto_want_write(handle.pointer) ? Int16(POLLOUT) : 0),
                revents: 0),
            pollfd(fd: wakePipe.readDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        // A stop asked for after the loop's last check is not missed: no waiting then.
        let ready = poll(&descriptors, 2, stopping ? 0 : timeoutMilliseconds)
        wakePipe.sleeping.store(false, ordering: .sequentiallyConsistent)
        if ready < 0 && errno != EINTR { return MOSQ_ERR_ERRNO.rawValue }
        if descriptors[1].revents != 0 { wakePipe.drain() }
        // Over TLS, read on every turn while reading, not only when the socket is readable: OpenSSL may hold
        // decrypted packets that poll cannot see (a broker that packs several into one record), and a read
        // that finds nothing costs one EAGAIN.
        let readable = descriptors[0].revents & Int16(POLLIN) != 0 || options.tls != nil
        if (reading && readable) || descriptors[0].revents & Int16(POLLHUP | POLLERR) != 0 {
            let code = mosquitto_loop_read(handle.pointer, 1)
            if code != MOSQ_ERR_SUCCESS.rawValue || mosquitto_socket(handle.pointer) < 0 { return code }
        }
        // Packets queued by other threads (they wake the poll) or left over from a full socket buffer.
        if mosquitto_want_write(handle.pointer) {
            let code = mosquitto_loop_write(handle.pointer, 1)
            if code != MOSQ_ERR_SUCCESS.rawValue || mosquitto_socket(handle.pointer) < 0 { return code }
        }
        return mosquitto_loop_misc(handle.pointer)
    }

    /// The descriptor of the socket to the broker, or -1 while disconnected.
    public var socketDescriptor: Int32 { mosquitto_socket(handle.pointer) }

    private func markDisconnected(reasonCode: Int32) {
        let (wasConnected, lost) = state.withLock { state in
            defer {
                state.connected = false
                state.generation += 1
            }
            let lost = state.notResent.compactMap { mid -> CheckedContinuation<Completion, Never>? in
                state.abandoned.insert(mid)
                return state.pending.removeValue(forKey: mid)
            }
            state.notResent.removeAll()
            return (state.connected, lost)
        }
        for continuation in lost { continuation.resume(returning: .failed(.notConnected)) }
        if wasConnected { eventSink.yield(.disconnected(reasonCode: reasonCode)) }
    }

    // MARK: - Callbacks (network thread)

    fileprivate func didConnect(reasonCode: Int32, flags: Int32) {
        guard reasonCode == 0 else {
            eventSink.yield(.refused(reasonCode: reasonCode))
            let waiters = state.withLock { state in
                defer { state.connectWaiters.removeAll() }
                return Array(state.connectWaiters.values)
            }
            for waiter in waiters { waiter.resume(returning: .failure(.connectionRefused(reasonCode: reasonCode))) }
            return
        }
        let sessionPresent = flags & 1 == 1
        let (waiters, toRenew) = state.withLock { state in
            state.connected = true
            state.acceptedSinceLastBackoff = true
            defer { state.connectWaiters.removeAll() }
            return (Array(state.connectWaiters.values), sessionPresent ? [:] : state.subscriptions)
        }
        for (filter, qos) in toRenew {
            // Nobody waits for these SUBACKs: mark their ids so the acknowledgements are dropped, not parked
            // where a later operation that reuses the id would take them for its own.
            var mid: Int32 = 0
            if mosquitto_subscribe_v5(handle.pointer, &mid, filter, qos.rawValue, 0, nil) == MOSQ_ERR_SUCCESS.rawValue {
                state.withLock { _ = $0.abandoned.insert(mid) }
            }
        }
        eventSink.yield(.connected(sessionPresent: sessionPresent))
        for waiter in waiters { waiter.resume(returning: .success(())) }
    }

    fileprivate func didDisconnect(reasonCode: Int32) {
        markDisconnected(reasonCode: reasonCode)
    }

    fileprivate func didPublish(mid: Int32, reasonCode: Int32) {
        complete(mid, with: reasonCode >= 0x80 ? .failed(.publishRejected(reasonCode: reasonCode)) : .published)
    }

    fileprivate func didSubscribe(mid: Int32, granted: [Int32]) {
        complete(mid, with: .subscribed(granted))
    }

    fileprivate func didReceive(_ message: MQTTMessage) {
        // Counted before it can be taken, so the count never goes below zero.
        state.withLock { $0.undelivered += 1 }
        if case .terminated = messageSink.yield(message) {
            // Nobody will read it any more (the client is stopping), and libmosquitto has acknowledged it.
            let lost = state.withLock { state in
                state.undelivered -= 1
                state.receivedAfterStop += 1
                return state.receivedAfterStop
            }
            if lost == 1 || lost % 1000 == 0 {
                logger.warning(
                    "MQTT message received after the reader stopped: not delivered",
                    metadata: ["mqtt.topic": "\(message.topic)", "mqtt.count": "\(lost)"])
            }
        }
    }

    static func describe(_ code: Int32) -> String {
        if code == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
        return String(cString: mosquitto_strerror(code))
    }

    // MARK: - State

    fileprivate enum Completion: Sendable {
        case published
        case subscribed([Int32])
        case failed(MQTTError)
    }

    private enum Phase {
        case idle, running, stopped
    }

    private struct State {
        var phase = Phase.idle
        var stopRequested = false
        var connected = false
        var acceptedSinceLastBackoff = false
        /// Received messages not yet taken from `messages`.
        var undelivered = 0
        var readingPaused = false
        /// Messages that arrived after `messages` was finished.
        var receivedAfterStop = 0
        var nextWaiterID: UInt64 = 0
        var connectWaiters: [UInt64: CheckedContinuation<Result<Void, MQTTError>, Never>] = [:]
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
        var pending: [Int32: CheckedContinuation<Completion, Never>] = [:]
        var early: [Int32: Completion] = [:]
        var abandoned: Set<Int32> = []
        /// Pending operations libmosquitto will not resend after a reconnect.
        var notResent: Set<Int32> = []
        /// Incremented at every disconnect.
        var generation: UInt64 = 0
        var subscriptions: [String: MQTTQoS] = [:]
    }

    // MARK: - C callback trampolines

    fileprivate static func client(_ userdata: UnsafeMutableRawPointer?) -> MosquittoClient? {
        guard let userdata else { return nil }
        return Unmanaged<MosquittoClient>.fromOpaque(userdata).takeUnretainedValue()
    }
}

private let mosquittoLibraryInitialised: Void = {
    _ = mosquitto_lib_init()
}()

extension Duration {
    fileprivate var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Owns the `struct mosquitto *` and the CONNECT properties.
///
/// `@unchecked Sendable`: libmosquitto is built thread-safe (`mosquitto_threaded_set`); after `init` the
/// pointers are only passed to its thread-safe calls, and they are freed once, in `deinit`, when no thread
/// can hold the client any more (the network thread keeps the client alive until it exits).
private final class MosquittoHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    let connectProperties: OpaquePointer?

    init(options: MQTTClientOptions) throws(MQTTError) {
        guard let pointer = mosquitto_new(options.clientID, options.cleanStart, nil) else {
            throw .library(operation: "mosquitto_new", code: MOSQ_ERR_ERRNO.rawValue, message: String(cString: strerror(errno)))
        }
        self.pointer = pointer
        var properties: OpaquePointer?
        if !options.cleanStart {
            _ = mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), options.sessionExpirySeconds)
        }
        self.connectProperties = properties

        func check(_ code: Int32, _ operation: String) throws(MQTTError) {
            guard code == MOSQ_ERR_SUCCESS.rawValue else {
                throw .library(operation: operation, code: code, message: MosquittoClient.describe(code))
            }
        }
        try check(mosquitto_int_option(pointer, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5), "set MQTT 5")
        try check(mosquitto_int_option(pointer, MOSQ_OPT_TCP_NODELAY, 1), "set TCP_NODELAY")
        try check(mosquitto_threaded_set(pointer, true), "set threaded")
        if options.username != nil || options.password != nil {
            try check(mosquitto_username_pw_set(pointer, options.username, options.password), "set username")
        }
        if let tls = options.tls {
            try check(mosquitto_tls_set(pointer, tls.caFile, nil, tls.certificateFile, tls.keyFile, nil), "set TLS")
        }
        if let will = options.will {
            let code = will.payload.withUnsafeBytes { bytes in
                mosquitto_will_set_v5(pointer, will.topic, Int32(bytes.count), bytes.baseAddress, will.qos.rawValue, will.retain, nil)
            }
            try check(code, "set Will")
        }
    }

    func installCallbacks(userdata: UnsafeMutableRawPointer) {
        mosquitto_user_data_set(pointer, userdata)
        mosquitto_connect_v5_callback_set(pointer) { _, userdata, reasonCode, flags, _ in
            MosquittoClient.client(userdata)?.didConnect(reasonCode: reasonCode, flags: flags)
        }
        mosquitto_disconnect_v5_callback_set(pointer) { _, userdata, reasonCode, _ in
            MosquittoClient.client(userdata)?.didDisconnect(reasonCode: reasonCode)
        }
        mosquitto_publish_v5_callback_set(pointer) { _, userdata, mid, reasonCode, _ in
            MosquittoClient.client(userdata)?.didPublish(mid: mid, reasonCode: reasonCode)
        }
        mosquitto_subscribe_v5_callback_set(pointer) { _, userdata, mid, count, granted, _ in
            let codes = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(max(0, count)))) } ?? []
            MosquittoClient.client(userdata)?.didSubscribe(mid: mid, granted: codes)
        }
        mosquitto_message_v5_callback_set(pointer) { _, userdata, message, _ in
            guard let message, let client = MosquittoClient.client(userdata) else { return }
            let raw = message.pointee
            let topic = raw.topic.map { String(cString: $0) } ?? ""
            let payload: [UInt8] =
                raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(max(0, raw.payloadlen)))) } ?? []
            client.didReceive(
                MQTTMessage(topic: topic, payload: payload, qos: MQTTQoS(rawValue: raw.qos) ?? .atMostOnce, retain: raw.retain))
        }
    }

    deinit {
        mosquitto_destroy(pointer)
        var properties = connectProperties
        if properties != nil { mosquitto_property_free_all(&properties) }
    }
}
