import BMSCore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A minimal HTTP/1.0 server on 127.0.0.1 for technicians: `GET /status` (JSON) and `GET /metrics`
/// (Prometheus). One request per connection, on its own thread; loopback only, so no authentication.
///
/// The accept thread owns the listening socket and is the only one to close it: `stop()` shuts it down, which
/// ends the thread's `accept`. (Closing it from `stop()` would free the number while the thread may still pass
/// it to `accept`, by then perhaps another component's socket.)
final class StatusServer: @unchecked Sendable {
    // @unchecked: `listener` is written once in init and only read by the accept thread and stop().
    let port: Int
    private let listener: Int32
    private let stopping = Atomic<Bool>(false)
    private let routes: @Sendable (String) -> (status: String, contentType: String, body: [UInt8])

    init(port: Int, routes: @escaping @Sendable (String) -> (status: String, contentType: String, body: [UInt8])) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw StatusServerError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else {
            close(descriptor)
            throw StatusServerError("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = descriptor
        self.routes = routes
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "status-http"
        thread.start()
    }

    /// Stops accepting; safe to call more than once.
    func stop() {
        guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if stopping.load(ordering: .sequentiallyConsistent) { return }
                // A connection reset before it was accepted, a signal, or no descriptor left (EMFILE): keep
                // serving, after a pause in the last case so as not to spin.
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM { usleep(100_000) }
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)  // `accept4` is not imported
            // A client that neither sends nor reads holds the one serving thread for at most two seconds each way.
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var request: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1024)
            while request.count < 8192, !request.ends(with: [13, 10, 13, 10]) {
                let count = read(client, &buffer, buffer.count)
                guard count > 0 else { break }
                request += buffer[..<count]
            }
            let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
            let response: (status: String, contentType: String, body: [UInt8])
            if line.count >= 2, line[0] == "GET" {
                response = routes(String(line[1]))
            } else {
                response = ("405 Method Not Allowed", "text/plain", Array("only GET\n".utf8))
            }
            let head = "HTTP/1.0 \(response.status)\r\nContent-Type: \(response.contentType)\r\nContent-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
            Self.send(Array(head.utf8) + response.body, to: client)
            close(client)
        }
    }
}

extension StatusServer {
    /// Writes all of `bytes`, or gives up at the first error: a client that went away (EPIPE, ECONNRESET)
    /// costs a failed write, never a SIGPIPE.
    fileprivate static func send(_ bytes: [UInt8], to client: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                return
            }
        }
    }
}

struct StatusServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}

/// Serves the local status while the agent runs.
struct StatusService: Service {
    let siteID: String
    let services: AgentServices
    let port: Int
    let logger: Logger

    func run() async throws {
        let siteID = siteID
        let services = services
        let server: StatusServer
        do {
            server = try StatusServer(port: port) { path in
                switch path {
                case "/status":
                    let status = LocalStatus.collect(siteID: siteID, services: services)
                    let body = (try? WireCoding.encode(status)).map { Array($0) + [10] } ?? Array("{}\n".utf8)
                    return ("200 OK", "application/json", body)
                case "/metrics":
                    let text = LocalStatus.collect(siteID: siteID, services: services).prometheus()
                    return ("200 OK", "text/plain; version=0.0.4", Array(text.utf8))
                default:
                    return ("404 Not Found", "text/plain", Array("try /status or /metrics\n".utf8))
                }
            }
        } catch {
            // The agent protects packs without it: a taken port is logged, not fatal.
            logger.error("Local status endpoint not started", metadata: ["error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        logger.info("Local status on http://127.0.0.1:\(server.port)/status and /metrics")
        try? await gracefulShutdown()
        server.stop()
    }
}

