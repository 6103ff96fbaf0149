import Foundation
import Synchronization
import Testing
import TestSupport

@testable import EdgeAgent

#if canImport(Glibc)
    import Glibc
#endif

/// Modbus RTU through libmodbus on a real pseudo-terminal, against a small RTU responder on the other end
/// (frames and CRCs built here, independently of libmodbus).
@Suite("Modbus RTU over a pseudo-terminal", .serialized)
struct ModbusRTUTests {
    /// Modbus CRC-16 (polynomial 0xA001, initial 0xFFFF), low byte first on the wire.
    static func crc(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var crc: UInt16 = 0xFFFF
        for byte in bytes {
            crc ^= UInt16(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return [UInt8(crc & 0xFF), UInt8(crc >> 8)]
    }

    /// Answers unit 9 only: FC3 returns each register's own address as its value (exception 2 below address 100);
    /// FC6 echoes the request.
    static func respond(to frame: [UInt8]) -> [UInt8]? {
        guard frame.count == 8, crc(frame[..<6]) == Array(frame[6...]), frame[0] == 9 else { return nil }
        let address = Int(frame[2]) << 8 | Int(frame[3])
        let value = Int(frame[4]) << 8 | Int(frame[5])
        var reply: [UInt8]
        switch frame[1] {
        case 0x03 where address < 100:
            reply = [9, 0x83, 0x02]
        case 0x03:
            reply = [9, 0x03, UInt8(value * 2)]
            for register in address..<(address + value) { reply += [UInt8(register >> 8 & 0xFF), UInt8(register & 0xFF)] }
        case 0x06:
            reply = Array(frame[..<6])
        default:
            reply = [9, frame[1] | 0x80, 0x01]
        }
        return reply + crc(reply)
    }

    @Test func readsWritesTimeoutsAndExceptionsOverRTU() async throws {
        var master: Int32 = 0
        var slave: Int32 = 0
        guard openpty(&master, &slave, nil, nil, nil) == 0, let path = terminalName(slave) else {
            Issue.record("openpty failed: \(String(cString: strerror(errno)))")
            return
        }
        // Not inherited by the processes other tests start meanwhile.
        _ = fcntl(master, F_SETFD, FD_CLOEXEC)
        _ = fcntl(slave, F_SETFD, FD_CLOEXEC)
        let responderMaster = master
        let stopping = Mutex(false)
        let responderDone = DispatchSemaphore(value: 0)
        defer {
            // The responder's thread ends before the descriptors are closed, so it never reads from a descriptor
            // number that another test's file or socket took.
            stopping.withLock { $0 = true }
            if responderDone.wait(timeout: .now() + 10) == .success {
                close(master)
                close(slave)
            } else {
                Issue.record("the RTU responder did not stop; its pseudo-terminal is left open")
            }
        }
        Thread.detachNewThread {
            defer { responderDone.signal() }
            var pending: [UInt8] = []
            var byte: UInt8 = 0
            while !stopping.withLock({ $0 }) {
                var waiting = pollfd(fd: responderMaster, events: Int16(POLLIN), revents: 0)
                guard poll(&waiting, 1, 20) > 0 else { continue }
                guard read(responderMaster, &byte, 1) == 1 else { return }
                pending.append(byte)
                if pending.count == 8 {
                    if let reply = Self.respond(to: pending) {
                        _ = reply.withUnsafeBytes { write(responderMaster, $0.baseAddress, $0.count) }
                    }
                    pending.removeAll()
                }
            }
        }
        let bus = ModbusBus(
            id: "rtu", endpoint: .rtu(device: path, baud: 19200, parity: "E", dataBits: 8, stopBits: 1),
            responseTimeout: .seconds(2))  // generous: only the silent unit 8 is meant to time out
        defer { bus.stop() }

        let registers = try await bus.perform { connection throws(ModbusError) in
            try connection.readHoldingRegisters(unit: 9, address: 40000, count: 3)
        }
        #expect(registers == [40000, 40001, 40002])
        try await bus.perform { connection throws(ModbusError) in
            try connection.writeRegister(unit: 9, address: 40050, value: 2)
        }
        await #expect(throws: ModbusError.exception(code: 2)) {
            try await bus.perform { connection throws(ModbusError) in
                try connection.readHoldingRegisters(unit: 9, address: 0, count: 3)
            }
        }
        await #expect(throws: ModbusError.timeout) {
            try await bus.perform { connection throws(ModbusError) in
                try connection.readHoldingRegisters(unit: 8, address: 40000, count: 3)
            }
        }
        // The line recovers after the timeout: the next request to the live unit succeeds.
        let again = try await bus.perform { connection throws(ModbusError) in
            try connection.readHoldingRegisters(unit: 9, address: 40010, count: 1)
        }
        #expect(again == [40010])
    }
}
