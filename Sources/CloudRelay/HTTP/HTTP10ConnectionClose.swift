import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// HTTP/1.0 without `Connection: keep-alive` means one request per connection (RFC 9112 §9.3): the server
/// closes after its response, and a client such as a monitoring probe reads until it does. Hummingbird closes
/// only on `Connection: close` and loses the version once it converts the request to `HTTPTypes`, so such a
/// client waited for its own timeout. `HTTP10ConnectionClose` marks these requests `Connection: close` while
/// their version is still known, just before that conversion.
final class HTTP10ConnectionClose: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        Self.markOneShot(&head)
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    /// Adds `Connection: close` to an HTTP/1.0 request that does not ask to keep the connection (and to any
    /// request that asks to close it in another spelling).
    static func markOneShot(_ head: inout HTTPRequestHead) {
        if !head.isKeepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
    }

    /// Put in Hummingbird's `additionalChannelHandlers` (which come after the conversion to `HTTPTypes`): when
    /// added, it places an `HTTP10ConnectionClose` just before the conversion (after the WebSocket upgrade
    /// handler, which hands the first request on from its own place), then passes everything on.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny

        func handlerAdded(context: ChannelHandlerContext) {
            let operations = context.pipeline.syncOperations
            guard let codec = try? operations.handler(type: HTTP1ToHTTPServerCodec.self) else { return }
            try? operations.addHandler(HTTP10ConnectionClose(), position: .before(codec))
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.fireChannelRead(data)
        }
    }
}
