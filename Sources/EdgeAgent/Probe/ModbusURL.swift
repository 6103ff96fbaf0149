import Foundation

/// A Modbus device address as technicians write it:
/// `modbus-tcp://10.0.0.5:502/1` or `modbus-rtu:///dev/ttyUSB0?baud=19200&parity=even#3`.
struct ModbusURL: Sendable, Equatable {
    var endpoint: ModbusEndpoint
    var unitID: Int

    /// Parses the text; the error message says what is wrong.
    init(_ text: String) throws(ModbusURLError) {
        if text.hasPrefix("modbus-tcp://") {
            let rest = text.dropFirst("modbus-tcp://".count)
            let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let hostPort = parts[0]
            let unit = parts.count > 1 ? Int(parts[1]) : 1
            guard let unit, (0...255).contains(unit) else { throw .init("the unit id after '/' must be 0–255") }
            var host = String(hostPort)
            var port = 502
            if let colon = hostPort.lastIndex(of: ":") {
                guard let parsed = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(parsed) else {
                    throw .init("the port must be 1–65535")
                }
                port = parsed
                host = String(hostPort[..<colon])
            }
            guard !host.isEmpty else { throw .init("a host is required") }
            self.init(endpoint: .tcp(host: host, port: port), unitID: unit)
        } else if text.hasPrefix("modbus-rtu://") {
            var rest = Substring(text.dropFirst("modbus-rtu://".count))
            var unit = 1
            if let hash = rest.lastIndex(of: "#") {
                guard let parsed = Int(rest[rest.index(after: hash)...]), (1...247).contains(parsed) else {
                    throw .init("the unit id after '#' must be 1–247")
                }
                unit = parsed
                rest = rest[..<hash]
            }
            var query: [String: String] = [:]
            if let question = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: question)...].split(separator: "&") {
                    let keyValue = pair.split(separator: "=", maxSplits: 1)
                    guard keyValue.count == 2 else { throw .init("bad query item '\(pair)'") }
                    query[String(keyValue[0])] = String(keyValue[1])
                }
                rest = rest[..<question]
            }
            guard rest.hasPrefix("/") else { throw .init("the serial device must be an absolute path") }
            let baud = Int(query["baud"] ?? "9600") ?? -1
            guard baud > 0 else { throw .init("baud must be a number") }
            let parity: Character
            switch query["parity"] ?? "none" {
            case "none": parity = "N"
            case "even": parity = "E"
            case "odd": parity = "O"
            default: throw .init("parity must be none, even or odd")
            }
            let dataBits = Int(query["data_bits"] ?? "8") ?? 0
            let stopBits = Int(query["stop_bits"] ?? "1") ?? 0
            guard [7, 8].contains(dataBits), [1, 2].contains(stopBits) else {
                throw .init("data_bits must be 7 or 8 and stop_bits 1 or 2")
            }
            self.init(
                endpoint: .rtu(device: String(rest), baud: baud, parity: parity, dataBits: dataBits, stopBits: stopBits),
                unitID: unit)
        } else {
            throw .init("must start with modbus-tcp:// or modbus-rtu://")
        }
    }

    init(endpoint: ModbusEndpoint, unitID: Int) {
        self.endpoint = endpoint
        self.unitID = unitID
    }
}

struct ModbusURLError: Error, Sendable, Equatable, CustomStringConvertible {
    var reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { reason }
}
