import Foundation

/// The received messages, as an `AsyncSequence` that tells the client each time the reader takes one (so the
/// client reads from the broker only as fast as the messages are taken).
public struct MQTTMessageStream: AsyncSequence, Sendable {
    public typealias Element = MQTTMessage
    let base: AsyncStream<MQTTMessage>
    let taken: TakenCounter

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<MQTTMessage>.AsyncIterator
        let taken: TakenCounter

        public mutating func next() async -> MQTTMessage? {
            let message = await base.next()
            if message != nil { taken.onTake() }
            return message
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), taken: taken)
    }
}

/// What the client does when the reader takes a message; set once, before any message can arrive.
final class TakenCounter: @unchecked Sendable {
    var onTake: @Sendable () -> Void = {}
}
