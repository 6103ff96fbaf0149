import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A plain HTTP/1.0 GET on 127.0.0.1, for tests of local endpoints.
public enum LoopbackHTTP {
    /// The status code and body of any request, or `nil` if nothing answers.
    public static func request(
        port: Int, method: String = "GET", path: String, headers: [String: String] = [:], body: String? = nil
    ) -> (code: Int, body: String)? {
        var head = "\(method) \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        guard let response = exchange(port: port, request: Array((head + "\r\n" + (body ?? "")).utf8)) else { return nil }
        let code = response.status.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (code, response.body)
    }

    /// The status line and body, or `nil` if nothing answers.
    public static func get(port: Int, path: String) -> (status: String, body: String)? {
        exchange(port: port, request: Array("GET \(path) HTTP/1.0\r\n\r\n".utf8))
    }

    /// Connects, sends `bytes`, and closes with a reset (`SO_LINGER` 0) instead of reading an answer, as some
    /// port scanners and TCP health checks do: the server's next write to the connection fails with EPIPE.
    public static func sendAndReset(port: Int, _ bytes: [UInt8] = []) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = FreePort.loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        if !bytes.isEmpty { _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        return setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size)) == 0
    }

    private static func exchange(port: Int, request: [UInt8]) -> (status: String, body: String)? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = FreePort.loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        _ = request.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            response += buffer[..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let status = text[..<split.lowerBound].split(separator: "\r\n").first.map(String.init) ?? ""
        return (status, String(text[split.upperBound...]))
    }
}
