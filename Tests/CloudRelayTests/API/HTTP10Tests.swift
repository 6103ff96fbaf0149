import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import HummingbirdTesting
import NIOHTTP1
import Testing

@testable import CloudRelay

/// HTTP/1.0 clients (monitoring probes, old tools) read a response until the server closes: without
/// `Connection: keep-alive` the relay answers, then closes; HTTP/1.1 and a kept-alive HTTP/1.0 keep the
/// connection for the next request.
@Suite("Relay HTTP/1.0")
struct HTTP10Tests {
    @Test(arguments: [
        (HTTPVersion.http1_0, nil, "close"), (.http1_0, "keep-alive", "keep-alive"), (.http1_0, "close", "close"),
        (.http1_1, nil, nil), (.http1_1, "close", "close"), (.http1_1, "keep-alive", "keep-alive"),
    ] as [(HTTPVersion, String?, String?)])
    func oneShotRequestsAreMarkedClose(version: HTTPVersion, connection: String?, marked: String?) {
        var head = HTTPRequestHead(version: version, method: .GET, uri: "/api/v1/health")
        if let connection { head.headers.add(name: "Connection", value: connection) }
        HTTP10ConnectionClose.markOneShot(&head)
        #expect(head.headers["connection"].last == marked)
    }

    @Test func aOneShotRequestIsAnsweredThenClosedAndOthersKeepTheirConnection() async throws {
        let api = try APIFixture()
        defer { api.remove() }
        try await api.application().test(.live) { client in
            let port = try #require(client.port)
            let health = "GET /api/v1/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
            let oneShot = await RawHTTPExchange.run(port: port, request: health, responses: 2)
            #expect(oneShot.closed, "the connection was closed after the answer")
            #expect(oneShot.statusLines == ["HTTP/1.1 200 OK"])

            for request in [
                "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                "GET /api/v1/health HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n",
            ] {
                let kept = await RawHTTPExchange.run(port: port, request: request + request, responses: 2)
                #expect(!kept.closed, "\(request)")
                #expect(kept.statusLines == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"], "\(request)")
            }
        }
    }
}

/// Requests written on one raw connection, read on a thread of its own (a blocking read must not hold a
/// thread of the cooperative pool the server answers on) until `responses` complete responses arrived, the
/// server closed the connection, or 30 s passed.
enum RawHTTPExchange {
    struct Outcome: Sendable {
        var statusLines: [String]
        var closed: Bool
    }

    static func run(port: Int, request: String, responses: Int) async -> Outcome {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: exchange(port: port, request: request, responses: responses)) }
        }
    }

    private static func exchange(port: Int, request: String, responses: Int) -> Outcome {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return Outcome(statusLines: [], closed: false) }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return Outcome(statusLines: [], closed: false) }
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let parsed = parse(received)
            if parsed.complete >= responses { return Outcome(statusLines: parsed.statusLines, closed: false) }
            let count = read(descriptor, &buffer, buffer.count)
            if count == 0 { return Outcome(statusLines: parse(received).statusLines, closed: true) }
            if count < 0 { return Outcome(statusLines: parsed.statusLines, closed: false) }  // timed out: still open
            received += buffer[..<count]
        }
    }

    /// The status lines of the responses in `bytes`, and how many of them are complete (by Content-Length).
    private static func parse(_ bytes: [UInt8]) -> (statusLines: [String], complete: Int) {
        var text = Substring(String(decoding: bytes, as: UTF8.self))
        var statusLines: [String] = []
        var complete = 0
        while let headEnd = text.range(of: "\r\n\r\n") {
            let head = text[..<headEnd.lowerBound]
            let lines = head.split(separator: "\r\n")
            statusLines.append(lines.first.map(String.init) ?? "")
            let length = lines.dropFirst().compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
            let body = text[headEnd.upperBound...]
            guard body.utf8.count >= length else { break }
            complete += 1
            text = body.dropFirst(length)
        }
        return (statusLines, complete)
    }
}
