import CModbus
import Foundation

/// Why a Modbus request failed.
enum ModbusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The unit did not answer within the response timeout.
    case timeout
    /// The unit answered with a Modbus exception (1 illegal function, 2 illegal address, …).
    case exception(code: Int32)
    /// The TCP connection or serial line is down; it is reopened on the next request.
    case linkDown(String)
    /// The reply was malformed (bad CRC, wrong length, wrong unit).
    case badReply(String)
    /// The context could not be created (bad device path, bad parameters).
    case setup(String)

    /// Whether retrying later can help (everything but a setup error).
    var isTransient: Bool {
        if case .setup = self { return false }
        return true
    }

    var description: String {
        switch self {
        case .timeout: "no reply within the response timeout"
        case .exception(let code): "Modbus exception \(code) (\(Self.exceptionName(code)))"
        case .linkDown(let reason): "link down: \(reason)"
        case .badReply(let reason): "bad reply: \(reason)"
        case .setup(let reason): "cannot set up the Modbus context: \(reason)"
        }
    }

    static func exceptionName(_ code: Int32) -> String {
        switch code {
        case 1: "illegal function"
        case 2: "illegal data address"
        case 3: "illegal data value"
        case 4: "server device failure"
        case 5: "acknowledge"
        case 6: "server device busy"
        case 8: "memory parity error"
        case 10: "gateway path unavailable"
        case 11: "gateway target device failed to respond"
        default: "unknown"
        }
    }

    /// Classifies libmodbus's errno. Its `EMBX*` macros do not import into Swift: exceptions are
    /// `MODBUS_ENOBASE + code`.
    static func fromErrno(_ code: Int32) -> ModbusError {
        if code > MODBUS_ENOBASE && code <= MODBUS_ENOBASE + 11 { return .exception(code: code - MODBUS_ENOBASE) }
        if code > MODBUS_ENOBASE { return .badReply(String(cString: modbus_strerror(code))) }
        switch code {
        case ETIMEDOUT, EAGAIN: return .timeout
        case ECONNRESET, EPIPE, ECONNREFUSED, ENOTCONN, EBADF, EHOSTUNREACH, ENETUNREACH, EIO:
            return .linkDown(String(cString: strerror(code)))
        default: return .badReply(String(cString: modbus_strerror(code)))
        }
    }
}

/// Where a bus goes.
enum ModbusEndpoint: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case rtu(device: String, baud: Int, parity: Character, dataBits: Int, stopBits: Int)

    var description: String {
        switch self {
        case .tcp(let host, let port): "modbus-tcp://\(host):\(port)"
        case .rtu(let device, let baud, let parity, let dataBits, let stopBits): "modbus-rtu://\(device)?baud=\(baud)&\(dataBits)\(parity)\(stopBits)"
        }
    }
}

/// One libmodbus context. Not thread-safe: it is only ever used on its bus's own thread (`ModbusBus`).
final class ModbusConnection {
    private let context: OpaquePointer
    private(set) var isConnected = false
    let endpoint: ModbusEndpoint

    init(_ endpoint: ModbusEndpoint, responseTimeout: Duration) throws(ModbusError) {
        let created: OpaquePointer?
        switch endpoint {
        case .tcp(let host, let port):
            created = modbus_new_tcp(host, Int32(port))
        case .rtu(let device, let baud, let parity, let dataBits, let stopBits):
            created = modbus_new_rtu(device, Int32(baud), CChar(parity.asciiValue ?? 78), Int32(dataBits), Int32(stopBits))
        }
        guard let created else { throw .setup(String(cString: modbus_strerror(errno))) }
        context = created
        self.endpoint = endpoint
        let (seconds, attoseconds) = responseTimeout.components
        modbus_set_response_timeout(context, UInt32(max(0, seconds)), UInt32(max(0, attoseconds / 1_000_000_000_000)))
    }

    deinit {
        if isConnected { modbus_close(context) }
        modbus_free(context)
    }

    /// Opens the link if it is not open.
    func connectIfNeeded() throws(ModbusError) {
        guard !isConnected else { return }
        guard modbus_connect(context) == 0 else { throw .linkDown(String(cString: modbus_strerror(errno))) }
        isConnected = true
    }

    /// Closes the link; the next request reopens it.
    func disconnect() {
        guard isConnected else { return }
        modbus_close(context)
        isConnected = false
    }

    func readHoldingRegisters(unit: Int, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        try read(unit: unit, address: address, count: count, input: false)
    }

    /// Reads any number of holding registers in requests of at most 125.
    func readHoldingRegisterRange(unit: Int, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        var registers: [UInt16] = []
        registers.reserveCapacity(count)
        while registers.count < count {
            let chunk = min(125, count - registers.count)
            registers += try readHoldingRegisters(unit: unit, address: address + registers.count, count: chunk)
        }
        return registers
    }

    func readInputRegisters(unit: Int, address: Int, count: Int) throws(ModbusError) -> [UInt16] {
        try read(unit: unit, address: address, count: count, input: true)
    }

    func writeRegister(unit: Int, address: Int, value: UInt16) throws(ModbusError) {
        try prepare(unit: unit)
        guard modbus_write_register(context, Int32(address), value) == 1 else { throw failure() }
    }

    func writeRegisters(unit: Int, address: Int, values: [UInt16]) throws(ModbusError) {
        try prepare(unit: unit)
        let written = values.withUnsafeBufferPointer { modbus_write_registers(context, Int32(address), Int32($0.count), $0.baseAddress) }
        guard written == values.count else { throw failure() }
    }

    private func read(unit: Int, address: Int, count: Int, input: Bool) throws(ModbusError) -> [UInt16] {
        guard (1...125).contains(count) else { throw .setup("a read takes 1–125 registers, not \(count)") }
        try prepare(unit: unit)
        var registers = [UInt16](repeating: 0, count: count)
        let read = registers.withUnsafeMutableBufferPointer { buffer in
            input
                ? modbus_read_input_registers(context, Int32(address), Int32(count), buffer.baseAddress)
                : modbus_read_registers(context, Int32(address), Int32(count), buffer.baseAddress)
        }
        guard read == count else {
            if read >= 0 { throw ModbusError.badReply("expected \(count) registers, got \(read)") }
            throw failure()
        }
        return registers
    }

    private func prepare(unit: Int) throws(ModbusError) {
        try connectIfNeeded()
        guard modbus_set_slave(context, Int32(unit)) == 0 else { throw .setup("invalid unit id \(unit)") }
    }

    /// The error of the last call; a broken link is closed so the next request reopens it, and after a
    /// timeout or garbage on a serial line the input is flushed so a late reply cannot be taken for the next.
    private func failure() -> ModbusError {
        let error = ModbusError.fromErrno(errno)
        switch error {
        case .linkDown:
            disconnect()
        case .timeout, .badReply:
            if case .tcp = endpoint { disconnect() } else { modbus_flush(context) }
        case .exception, .setup:
            break
        }
        return error
    }
}
