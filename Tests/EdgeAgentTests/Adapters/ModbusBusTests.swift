import Foundation
import Testing
import TestSupport

@testable import EdgeAgent

/// The libmodbus adapter against pymodbus, an independent Modbus TCP server.
@Suite("Modbus bus", .serialized)
struct ModbusBusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func requestsRunInOrderOnTheBusThreadAndErrorsAreClassified() async throws {
        let (peer, port) = try await PymodbusPeer.start(packageRoot: Self.root)
        let bus = ModbusBus(id: "test", endpoint: .tcp(host: "127.0.0.1", port: port), responseTimeout: .seconds(2))

        let marker = try await bus.perform { connection throws(ModbusError) in
            try connection.readHoldingRegisters(unit: 1, address: 40000, count: 2)
        }
        #expect(marker == [0x5375, 0x6E53])

        // Outside the served image: pymodbus answers with exception 2, illegal data address.
        await #expect(throws: ModbusError.exception(code: 2)) {
            try await bus.perform { connection throws(ModbusError) in
                try connection.readHoldingRegisters(unit: 1, address: 0, count: 2)
            }
        }
        // A request larger than Modbus allows never reaches the wire.
        await #expect(throws: ModbusError.self) {
            try await bus.perform { connection throws(ModbusError) in
                try connection.readHoldingRegisters(unit: 1, address: 40000, count: 126)
            }
        }

        // Many callers at once: every request completes with its own answer.
        let addresses = Array(40000..<40100)
        let values = try await withThrowingTaskGroup(of: (Int, UInt16).self) { group in
            for address in addresses {
                group.addTask {
                    let registers = try await bus.perform { connection throws(ModbusError) in
                        try connection.readHoldingRegisters(unit: 1, address: address, count: 1)
                    }
                    return (address, registers[0])
                }
            }
            var collected: [Int: UInt16] = [:]
            for try await (address, value) in group { collected[address] = value }
            return collected
        }
        #expect(values[40000] == 0x5375)
        #expect(values[40002] == 1)  // model 1's id
        #expect(values.count == addresses.count)

        // The peer goes away: the next request reports a broken link, not a crash.
        await peer.terminate()
        await #expect(throws: ModbusError.self) {
            try await bus.perform { connection throws(ModbusError) in
                try connection.readHoldingRegisters(unit: 1, address: 40000, count: 2)
            }
        }
        // It comes back on the same port: the bus reconnects on its own.
        let (revived, _) = try await PymodbusPeer.start(packageRoot: Self.root, port: port)
        let afterReconnect = try await bus.perform { connection throws(ModbusError) in
            try connection.readHoldingRegisters(unit: 1, address: 40000, count: 2)
        }
        #expect(afterReconnect == [0x5375, 0x6E53])
        await revived.terminate()
        bus.stop()
        await #expect(throws: ModbusError.linkDown("the bus is stopped")) {
            try await bus.perform { connection throws(ModbusError) in
                try connection.readHoldingRegisters(unit: 1, address: 40000, count: 2)
            }
        }
    }

    @Test(arguments: [
        (Int32(112_345_678 + 2), ModbusError.exception(code: 2)),
        (Int32(112_345_678 + 11), ModbusError.exception(code: 11)),
        (ETIMEDOUT, ModbusError.timeout),
    ])
    func errnoClassification(code: Int32, expected: ModbusError) {
        #expect(ModbusError.fromErrno(code) == expected)
    }

    @Test func urls() throws {
        #expect(try ModbusURL("modbus-tcp://10.0.0.5:502/1") == ModbusURL(endpoint: .tcp(host: "10.0.0.5", port: 502), unitID: 1))
        #expect(try ModbusURL("modbus-tcp://gateway/7").endpoint == .tcp(host: "gateway", port: 502))
        #expect(
            try ModbusURL("modbus-rtu:///dev/ttyUSB0?baud=19200&parity=even#3")
                == ModbusURL(endpoint: .rtu(device: "/dev/ttyUSB0", baud: 19200, parity: "E", dataBits: 8, stopBits: 1), unitID: 3))
        for bad in ["", "modbus-tcp://:502/1", "modbus-tcp://h:70000/1", "modbus-tcp://h:502/x", "modbus-rtu://ttyUSB0#1",
                    "modbus-rtu:///dev/ttyUSB0#0", "modbus-rtu:///dev/ttyUSB0?parity=mark#1", "http://h"] {
            #expect(throws: ModbusURLError.self, "\(bad)") { try ModbusURL(bad) }
        }
    }
}
