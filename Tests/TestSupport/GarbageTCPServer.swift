import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP server on loopback that answers every request with the bytes a test chooses (garbage, truncated
/// frames, wrong transaction ids), to check that clients survive malformed replies.
public final class GarbageTCPServer: @unchecked Sendable {
    // @unchecked: `listener` is set once in init; the accept thread closes it, under `closed`.
    public let port: Int
    private let listener: Int32
    /// Whether the accept thread has closed the listener (under this lock, so `stop` never shuts down a
    /// descriptor number reused since).
    private let closed = Mutex(false)

    /// Starts answering each request on each connection with `reply(requestBytes)`.
    public init(reply: @escaping @Sendable ([UInt8]) -> [UInt8]) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError.system("socket", errno) }
        var address = FreePort.loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 8) == 0 else { throw TestSupportError.system("bind/listen", errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = descriptor
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(descriptor, nil, nil)
                guard client >= 0 else {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    // Shut down by `stop` (or failed): closed here, after the last accept, so this thread never
                    // calls accept on a descriptor number that another test's socket took, and `stop` never shuts
                    // one down.
                    closed.withLock { closed in
                        closed = true
                        close(descriptor)
                    }
                    return
                }
                Thread.detachNewThread {
                    var buffer = [UInt8](repeating: 0, count: 512)
                    while true {
                        let count = read(client, &buffer, buffer.count)
                        guard count > 0 else { break }
                        let answer = reply(Array(buffer[..<count]))
                        _ = answer.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                    }
                    close(client)
                }
            }
        }
    }

    /// Stops accepting; the accept thread closes the listener.
    public func stop() {
        closed.withLock { closed in
            if !closed { shutdown(listener, Int32(SHUT_RDWR)) }
        }
    }
}
