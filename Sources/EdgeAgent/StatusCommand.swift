import ArgumentParser
import BMSCore
import Foundation

/// `pulsebms-agent status`: the running agent's view of every pack, for a technician on site.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show each pack's state, alarms, the broker link and the buffer (from the running agent).")

    @Option(help: "The agent's local status port.")
    var port = 9721

    @Flag(help: "Print the raw JSON.")
    var json = false

    func run() throws {
        let body: [UInt8]
        do {
            body = try Self.get(port: port, path: "/status")
        } catch {
            printError("status: the agent does not answer on 127.0.0.1:\(port) (\(error)); is it running?")
            throw ExitCode(2)
        }
        if json {
            FileHandleOutput.standardOutput.write(String(decoding: body, as: UTF8.self))
            return
        }
        let status = try WireCoding.decode(LocalStatus.self, from: body)
        var lines = ["site \(status.siteID) at \(status.timestamp)"]
        if let connected = status.brokerConnected {
            let age = status.oldestUnsentAgeSeconds.map { String(format: ", oldest unsent %.0f s", $0) } ?? ""
            lines.append("broker \(connected ? "connected" : "NOT connected"); buffer \(status.bufferDepth ?? 0) unsent\(age), \(status.bufferDropped ?? 0) dropped")
        } else {
            lines.append("no broker configured")
        }
        func number(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "–" }
        for pack in status.packs {
            lines.append(
                "\(pack.deviceID): \(pack.state), SoC \(number(pack.soc, "%.1f")) %, SoH \(number(pack.soh, "%.1f")) %, "
                    + "cells \(number(pack.cellVoltageMin, "%.3f"))–\(number(pack.cellVoltageMax, "%.3f")) V, "
                    + "\(number(pack.temperatureMin, "%.1f"))–\(number(pack.temperatureMax, "%.1f")) °C, "
                    + "last poll \(pack.lastSuccessfulPoll?.rfc3339 ?? "never"), "
                    + "alarms: \(pack.activeAlarms.isEmpty ? "none" : pack.activeAlarms.joined(separator: ", "))"
                    + (pack.latchedRules.isEmpty ? "" : ", LATCHED: \(pack.latchedRules.joined(separator: ", "))"))
        }
        FileHandleOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
    }

    /// A plain HTTP/1.0 GET on loopback.
    static func get(port: Int, path: String) throws -> [UInt8] {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw StatusServerError("socket failed") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw StatusServerError(String(cString: strerror(errno))) }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            response += buffer[..<count]
        }
        guard let split = response.indices.dropLast(3).first(where: { Array(response[$0..<($0 + 4)]) == [13, 10, 13, 10] }) else {
            throw StatusServerError("no HTTP response")
        }
        let head = String(decoding: response[..<split], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.0 200") || head.hasPrefix("HTTP/1.1 200") else { throw StatusServerError(head) }
        return Array(response[(split + 4)...])
    }
}
