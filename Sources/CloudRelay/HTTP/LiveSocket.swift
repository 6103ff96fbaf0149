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

    /// The upgrade decision for one request.
    static func shouldUpgrade(
        _ request: HTTPRequest, hub: LiveHub, authenticator: RelayAuthenticator, logger: Logger
    ) async -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        let target = request.path ?? ""
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard path.hasPrefix(pathPrefix) else { return .dontUpgrade }
        let clientID = String(path.dropFirst(pathPrefix.count))
        guard !clientID.isEmpty, clientID.count <= 128, !clientID.contains("/") else { return .dontUpgrade }
        let token = request.headerFields[.authorization] ?? queryToken(in: target).map { "Bearer \($0)" }
        let principal: Principal
        do {
            principal = try await authenticator.authenticate(authorization: token, apiKey: request.headerFields[HTTPField.Name.apiKey])
        } catch {
            logger.info("WebSocket upgrade refused", metadata: ["client_id": "\(clientID)", "error": "\(error)"])
            return .dontUpgrade
        }
        return .upgrade([:]) { inbound, outbound, _ in
            await serve(clientID: clientID, principal: principal, hub: hub, inbound: inbound, outbound: outbound, logger: logger)
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
        outbound: WebSocketOutboundWriter, logger: Logger
    ) async {
        let client = hub.connect(clientID: clientID, principal: principal)
        let writer = SocketWriter(outbound: outbound)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while let next = await client.next() {
                    switch next {
                    case .message(let message):
                        guard await writer.send(message) else { return }
                    case .close(let reason):
                        await writer.close(reason: reason)
                        return
                    }
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
                        for reply in hub.handle(text: text, from: client) {
                            guard await writer.send(reply) else { return }
                        }
                    }
                } catch {
                    logger.debug("WebSocket read ended", metadata: ["client_id": "\(clientID)", "error": "\(error)"])
                }
            }
            // Either side ending ends the connection.
            await group.next()
            group.cancelAll()
        }
        hub.disconnect(client)
    }
}

/// Serialises writes to one socket.
actor SocketWriter {
    let outbound: WebSocketOutboundWriter

    init(outbound: WebSocketOutboundWriter) {
        self.outbound = outbound
    }

    /// Writes one message; false once the socket is gone.
    func send(_ message: WebSocketServerMessage) async -> Bool {
        guard let data = try? WireCoding.encode(message) else { return true }  // a non-finite value: skipped
        do {
            try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
            return true
        } catch {
            return false
        }
    }

    func close(reason: String) async {
        try? await outbound.close(.policyViolation, reason: String(reason.prefix(120)))
    }
}
