import BMSCore
import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// `/ws/{client_id}`: the live streams over WebSocket, authenticated like the REST API — a bearer JWT or an
/// API key in `Authorization`, or (for browsers, which cannot set headers on a WebSocket) in the
/// `access_token` query parameter. A refused upgrade gets no socket; the hub does the rest.
enum LiveSocket {
    static let pathPrefix = "/ws/"
    /// Largest client message accepted.
    static let maximumMessageBytes = 1 << 16
    /// Most messages written in one turn of a connection's writer.
    static let batchLimit = 64

    /// The upgrade decision for one request.
    /// Takes an operator's alert action with the credentials the socket was opened with — checked again, so an
    /// expired token or a revoked key acts no more, and rate-limited like a REST request — and answers the alert
    /// as it now stands (`RelayAPI.performAlertAction`).
    typealias AlertActionHandler = @Sendable (AlertActionRequest, _ authorization: String?, _ apiKey: String?) async throws -> Alert

    static func shouldUpgrade(
        _ request: HTTPRequest, channel: any Channel, hub: LiveHub, authenticator: RelayAuthenticator,
        alertActions: @escaping AlertActionHandler, logger: Logger
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        let target = request.path ?? ""
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard path.hasPrefix(pathPrefix) else { return .dontUpgrade }
        let clientID = String(path.dropFirst(pathPrefix.count))
        guard !clientID.isEmpty, clientID.count <= 128, !clientID.contains("/") else { return .dontUpgrade }
        let token = request.headerFields[.authorization] ?? queryToken(in: target).map { "Bearer \($0)" }
        let apiKey = request.headerFields[HTTPField.Name.apiKey]
        let principal: Principal
        do {
            principal = try await authenticator.authenticate(authorization: token, apiKey: apiKey)
        } catch {
            logger.info("WebSocket upgrade refused", metadata: ["client_id": "\(clientID)", "error": "\(error)"])
            return .dontUpgrade
        }
        return .upgrade([:]) { inbound, outbound, _ in
            await serve(
                clientID: clientID, principal: principal, hub: hub, inbound: inbound,
                writer: SocketWriter(channel: channel, outbound: outbound, writeDeadline: hub.configuration.writeDeadline),
                alertActions: { action in try await alertActions(action, token, apiKey) },
                credentialsStillValid: {
                    // The same credentials, the same principal: an expired token, a revoked key, a changed role
                    // or site list all end the stream. A store that cannot answer now ends nothing.
                    do {
                        return try await authenticator.authenticate(authorization: token, apiKey: apiKey) == principal
                    } catch is AuthError {
                        return false
                    } catch {
                        return true
                    }
                },
                logger: logger)
        }
    }

    /// An alert action's failure as an `error` message body, shaped as REST answers it.
    static func errorBody(_ error: any Error, at time: Timestamp) -> ErrorBody<JSONObject> {
        let traceID = TraceID.make()
        switch error {
        case let error as APIError:
            return error.body(at: time, traceID: traceID)
        case let error as AuthError:
            return ErrorBody(
                code: ErrorCode(rawValue: error.code), message: error.message, details: error.details, timestamp: time,
                traceID: traceID)
        default:
            return APIError.internalError.body(at: time, traceID: traceID)
        }
    }

    /// The `access_token` query parameter, percent-decoded.
    static func queryToken(in target: String) -> String? {
        guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == "access_token" { return String(parts[1]).removingPercentEncoding }
        }
        return nil
    }

    /// One connection: a sender draining the client's queue and a receiver handing client messages to the
    /// hub. Writes go through one actor, so the two never interleave on the socket.
    static func serve(
        clientID: String, principal: Principal, hub: LiveHub, inbound: WebSocketInboundStream,
        writer: SocketWriter, alertActions: @escaping @Sendable (AlertActionRequest) async throws -> Alert,
        credentialsStillValid: @escaping @Sendable () async -> Bool = { true }, logger: Logger
    ) async {
        let client = hub.connect(clientID: clientID, principal: principal)
        let checkInterval = hub.configuration.credentialCheckInterval
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Ends only when cancelled: closing the client lets the sender write the close frame first.
                while !Task.isCancelled {
                    try? await Task.sleep(for: checkInterval)
                    if Task.isCancelled { return }
                    if await !credentialsStillValid() {
                        logger.info("WebSocket credentials no longer valid", metadata: ["client_id": "\(clientID)"])
                        client.close(reason: "credentials expired or revoked")
                        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                    }
                }
            }
            group.addTask {
                // What is already queued behind the first message goes out in the same turn of the writer.
                while let first = await client.next() {
                    guard await writer.send([first] + client.ready(limit: batchLimit)) else { return }
                }
            }
            group.addTask {
                do {
                    for try await message in inbound.messages(maxSize: maximumMessageBytes) {
                        let text: String
                        switch message {
                        case .text(let value): text = value
                        case .binary(let buffer): text = String(buffer: buffer)
                        }
                        if let action = LiveHub.alertAction(in: text) {
                            // Answered with the alert as it now stands (alert subscribers get it too), or an error.
                            let reply: WebSocketServerMessage
                            do {
                                reply = .alert(try await alertActions(action))
                            } catch {
                                if !(error is APIError || error is AuthError) {
                                    logger.error("Alert action failed", metadata: ["alert_id": "\(action.alertID)", "error": "\(error)"])
                                }
                                reply = .error(errorBody(error, at: hub.now()))
                            }
                            guard await writer.send(reply) else { return }
                            continue
                        }
                        for reply in hub.handle(text: text, from: client) {
                            guard await writer.send(reply) else { return }
                        }
                    }
                } catch {
                    logger.debug("WebSocket read ended", metadata: ["client_id": "\(clientID)", "error": "\(error)"])
                }
                // The peer closed (and was answered) or the socket is gone: nothing more may be written.
                await writer.markClosed()
            }
            // Either side ending ends the connection.
            await group.next()
            group.cancelAll()
        }
        hub.disconnect(client)
    }
}

/// Serialises writes to one socket.
///
/// Messages are written as text frames straight onto the connection's channel, a batch per turn with one flush:
/// the WebSocket writer flushes every frame, and a thousand clients at a hundred messages a second each made
/// those flushes (one `writev` each) half of the relay's work. Each batch is awaited until the socket has taken
/// it, so a slow client backs up into its bounded `OutboundQueue`, never into the channel. Closing goes through
/// the WebSocket writer, which runs the close handshake.
actor SocketWriter {
    let channel: any Channel
    let outbound: WebSocketOutboundWriter
    /// How long a batch may wait for the socket to take it: a peer that stops reading is disconnected.
    let writeDeadline: Duration
    /// Closed (a close frame sent or received, or the socket gone): nothing is written any more.
    private var closed = false

    init(channel: any Channel, outbound: WebSocketOutboundWriter, writeDeadline: Duration = .seconds(10)) {
        self.channel = channel
        self.outbound = outbound
        self.writeDeadline = writeDeadline
    }

    /// Writes `batch` in order: messages (the shared encoding when there is one) until a close, which closes
    /// the socket. False once the socket is gone or closed.
    func send(_ batch: [LiveClient.Outbound]) async -> Bool {
        var frames: [ByteBuffer] = []
        frames.reserveCapacity(batch.count)
        for outbound in batch {
            switch outbound {
            case .message(let message, let encoded):
                if let frame = encoded ?? Self.encode(message) { frames.append(frame) }
            case .close(let reason):
                guard await write(frames) else { return false }
                await close(reason: reason)
                return false
            }
        }
        return await write(frames)
    }

    /// Writes one message; false once the socket is gone.
    func send(_ message: WebSocketServerMessage) async -> Bool {
        guard let frame = Self.encode(message) else { return true }
        return await write([frame])
    }

    /// Sends a close frame with `reason` (once); nothing is written after it.
    func close(reason: String) async {
        guard !closed else { return }
        closed = true
        try? await outbound.close(.policyViolation, reason: String(reason.prefix(120)))
    }

    /// The connection is closing from the other side: write nothing more.
    func markClosed() {
        closed = true
    }

    /// A message's JSON text; `nil` for a value JSON cannot carry (a non-finite number), which is skipped.
    private static func encode(_ message: WebSocketServerMessage) -> ByteBuffer? {
        (try? WireCoding.encode(message)).map { ByteBuffer(bytes: $0) }
    }

    /// Writes `frames` as text frames with one flush and waits until the socket has taken them all, at most
    /// `writeDeadline`: a peer that stops reading has its connection closed, which fails the writes.
    private func write(_ frames: [ByteBuffer]) async -> Bool {
        guard !closed else { return false }
        guard !frames.isEmpty else { return true }
        let channel = channel
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.eventLoop.execute {
            for (index, frame) in frames.enumerated() {
                channel.write(
                    WebSocketFrame(fin: true, opcode: .text, data: frame),
                    promise: index == frames.count - 1 ? written : nil)
            }
            channel.flush()
        }
        // Past the deadline the channel is closed, which fails the pending writes and so ends the wait.
        let deadline = TimeAmount.milliseconds(max(1, writeDeadline.saturatingMilliseconds))
        let timeout = channel.eventLoop.scheduleTask(in: deadline) { channel.close(promise: nil) }
        written.futureResult.whenComplete { _ in timeout.cancel() }
        let taken: Bool
        do {
            try await written.futureResult.get()
            taken = true
        } catch {
            taken = false
        }
        if !taken { closed = true }
        return taken
    }
}
