import BMSCore
import NIOCore

/// One client's messages waiting to be sent, with the backpressure policy of the live streams; a value with no
/// clock and no locking, driven by `LiveClient`.
///
/// - Telemetry is bounded: when the queue holds `capacity` messages, the oldest queued telemetry sample is
///   dropped for the new message (or the new sample itself when no telemetry is queued). Drops are counted, and
///   the count rides on the next telemetry message delivered (`metadata.dropped_messages`).
/// - Alerts and error messages are never dropped: they may take the queue past `capacity`.
/// - A fleet status replaces a queued one of the same site in place.
///
/// So at most `capacity` telemetry samples and one fleet status per site are ever held, plus the alerts that
/// arrive while the client is behind; `LiveClient` closes a client that stays behind, which bounds those too.
///
/// The client is *behind* from the first time the queue is full until it drains to `recoveryLevel` (half the
/// capacity): the hysteresis catches a client that empties a slot now and then but never catches up.
struct OutboundQueue: Sendable {
    let capacity: Int
    let recoveryLevel: Int
    private var telemetry = FIFO<Queued<Item>>()
    /// Alerts and errors.
    private var reliable = FIFO<Queued<Item>>()
    /// At most one per site, in queue order.
    private var fleet: [Queued<FleetStatus>] = []
    private var nextSequence: UInt64 = 0
    /// Telemetry dropped since the last telemetry message delivered.
    private var droppedSinceDelivery = 0
    /// Telemetry dropped over the connection's life.
    private(set) var droppedTotal = 0
    /// Since when the client has been behind; `nil` while it keeps up.
    private(set) var behindSince: Timestamp?

    private struct Queued<Value: Sendable>: Sendable {
        var sequence: UInt64
        var value: Value
    }

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        recoveryLevel = self.capacity / 2
    }

    /// A message to send, with its JSON text when the hub encoded it once for every client it goes to.
    struct Item: Sendable, Equatable {
        var message: WebSocketServerMessage
        /// `message` encoded by `WireCoding`, shared between clients; `nil` when the writer must encode it.
        var encoded: ByteBuffer?

        init(_ message: WebSocketServerMessage, encoded: ByteBuffer? = nil) {
            self.message = message
            self.encoded = encoded
        }
    }

    /// Messages held now.
    var count: Int { telemetry.count + reliable.count + fleet.count }

    /// Queues `message`, applying the policy; `time` (relay clock) marks when the client fell behind.
    mutating func enqueue(_ message: WebSocketServerMessage, at time: Timestamp) {
        enqueue(Item(message), at: time)
    }

    /// Queues `item`, applying the policy; `time` (relay clock) marks when the client fell behind.
    mutating func enqueue(_ item: Item, at time: Timestamp) {
        switch item.message {
        case .telemetry:
            if count >= capacity {
                guard telemetry.popFirst() != nil else {
                    recordDrop(at: time)  // only alerts and fleet queued: the new sample is the oldest droppable
                    return
                }
                recordDrop(at: time)
            }
            telemetry.append(Queued(sequence: takeSequence(), value: item))
        case .fleetStatus(let status):
            if let index = fleet.firstIndex(where: { $0.value.siteID == status.siteID }) {
                fleet[index].value = status
                return
            }
            makeRoom(at: time)
            fleet.append(Queued(sequence: takeSequence(), value: status))
        case .alert, .error:
            makeRoom(at: time)
            reliable.append(Queued(sequence: takeSequence(), value: item))
        }
        if count >= capacity, behindSince == nil { behindSince = time }
    }

    /// The oldest queued message, with the pending drop count on it if it is telemetry.
    mutating func dequeue() -> WebSocketServerMessage? {
        dequeueItem()?.message
    }

    /// The oldest queued message with its shared encoding, the pending drop count on it if it is telemetry.
    mutating func dequeueItem() -> Item? {
        let telemetrySequence = telemetry.first?.sequence ?? .max
        let reliableSequence = reliable.first?.sequence ?? .max
        let fleetSequence = fleet.first?.sequence ?? .max
        let item: Item?
        if telemetrySequence < reliableSequence, telemetrySequence < fleetSequence, let sample = telemetry.popFirst() {
            item = stampDrops(on: sample.value)
        } else if reliableSequence < fleetSequence {
            item = reliable.popFirst()?.value
        } else {
            item = fleet.isEmpty ? nil : Item(.fleetStatus(fleet.removeFirst().value))
        }
        if count <= recoveryLevel { behindSince = nil }
        return item
    }

    /// Puts the pending drop count on a telemetry message about to be delivered; the stamped message is this
    /// client's own, so its shared encoding no longer fits.
    private mutating func stampDrops(on item: Item) -> Item {
        guard droppedSinceDelivery > 0, case .telemetry(var sample) = item.message else { return item }
        sample.metadata.droppedMessages = droppedSinceDelivery
        droppedSinceDelivery = 0
        return Item(.telemetry(sample))
    }

    /// Forgets queued messages of `topic` (an unsubscribe).
    mutating func removeAll(of topic: StreamTopic) {
        switch topic {
        case .telemetry: telemetry.removeAll()
        case .fleetStatus: fleet.removeAll()
        case .alerts:
            reliable.removeAll { $0.value.message.isAlert }
        }
        if count <= recoveryLevel { behindSince = nil }
    }

    /// Forgets everything queued (the client is being closed).
    mutating func clear() {
        telemetry.removeAll()
        reliable.removeAll()
        fleet.removeAll()
    }

    private mutating func makeRoom(at time: Timestamp) {
        guard count >= capacity, telemetry.popFirst() != nil else { return }
        recordDrop(at: time)
    }

    private mutating func recordDrop(at time: Timestamp) {
        droppedSinceDelivery += 1
        droppedTotal += 1
        if behindSince == nil { behindSince = time }
    }

    private mutating func takeSequence() -> UInt64 {
        defer { nextSequence += 1 }
        return nextSequence
    }
}

extension WebSocketServerMessage {
    fileprivate var isAlert: Bool {
        if case .alert = self { return true }
        return false
    }
}

/// A first-in first-out buffer with O(1) amortized append and removal at the front; storage stays within a
/// small multiple of the elements held.
struct FIFO<Element: Sendable>: Sendable {
    private var storage: [Element?] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { count == 0 }
    var first: Element? { head < storage.count ? storage[head] : nil }

    mutating func append(_ element: Element) {
        storage.append(element)
    }

    mutating func popFirst() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        storage[head] = nil
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 32, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    mutating func removeAll() {
        storage.removeAll()
        head = 0
    }

    mutating func removeAll(where shouldRemove: (Element) -> Bool) {
        storage = storage[head...].filter { element in element.map { !shouldRemove($0) } ?? false }
        head = 0
    }
}
