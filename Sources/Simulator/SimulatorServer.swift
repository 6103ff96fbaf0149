import CModbus
import Foundation

/// The simulator's single thread: a Modbus TCP server for every pack (one port, one unit id per pack), a
/// line-based control port for fault injection, and the physical model's ticks — all in one `poll` loop,
/// so the packs need no locks.
final class SimulatorServer {
    private var packs: [Int: SimulatedPack]
    private let context: OpaquePointer
    private var mappings: [Int: UnsafeMutablePointer<modbus_mapping_t>] = [:]
    private let modbusListener: Int32
    private let controlListener: Int32
    private var modbusClients: Set<Int32> = []
    private var controlClients: [Int32: [UInt8]] = [:]
    private let tickSeconds: Double
    private let timeScale: Double
    private let log: (String) -> Void
    /// CAN packs' slcan adapters, by unit.
    private let canPorts: [Int: SlcanPackPort]

    init(
        packs: [SimulatedPack], host: String, port: Int, controlPort: Int, tickSeconds: Double, timeScale: Double,
        canPorts: [SlcanPackPort] = [], log: @escaping (String) -> Void
    ) throws {
        self.canPorts = Dictionary(uniqueKeysWithValues: canPorts.map { ($0.unitID, $0) })
        self.packs = Dictionary(uniqueKeysWithValues: packs.map { ($0.unitID, $0) })
        self.tickSeconds = tickSeconds
        self.timeScale = timeScale
        self.log = log
        guard let context = modbus_new_tcp(host, Int32(port)) else { throw SimulatorError("cannot create the Modbus context") }
        self.context = context
        modbusListener = modbus_tcp_listen(context, 16)
        guard modbusListener >= 0 else { throw SimulatorError("cannot listen on \(host):\(port): \(String(cString: modbus_strerror(errno)))") }
        controlListener = try Self.listen(host: host, port: controlPort)
        for pack in packs { refresh(pack.unitID) }
    }

    deinit {
        for mapping in mappings.values { modbus_mapping_free(mapping) }
        modbus_free(context)
    }

    /// Runs until the process is stopped.
    func run() {
        var nextTick = Date().addingTimeInterval(tickSeconds)
        while true {
            var descriptors = [pollfd(fd: modbusListener, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: controlListener, events: Int16(POLLIN), revents: 0)]
            descriptors += modbusClients.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            descriptors += controlClients.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let canMasters = Dictionary(uniqueKeysWithValues: canPorts.map { ($1.terminal.master, $0) })
            descriptors += canMasters.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let wait = max(0, Int32(nextTick.timeIntervalSinceNow * 1000))
            _ = poll(&descriptors, nfds_t(descriptors.count), wait)
            for descriptor in descriptors where descriptor.revents != 0 {
                if descriptor.fd == modbusListener {
                    let client = Self.acceptClosingOnExec(modbusListener)
                    if client >= 0 { modbusClients.insert(client) }
                } else if descriptor.fd == controlListener {
                    let client = Self.acceptClosingOnExec(controlListener)
                    if client >= 0 { controlClients[client] = [] }
                } else if let unit = canMasters[descriptor.fd] {
                    if var pack = packs[unit] {
                        canPorts[unit]?.serve(&pack, report: log)
                        packs[unit] = pack
                    }
                } else if modbusClients.contains(descriptor.fd) {
                    serveModbus(descriptor.fd)
                } else {
                    serveControl(descriptor.fd)
                }
            }
            if Date() >= nextTick {
                for unit in packs.keys {
                    packs[unit]?.advance(seconds: tickSeconds * timeScale)
                    refresh(unit)
                    if let port = canPorts[unit], let pack = packs[unit] { port.broadcast(pack) }
                }
                nextTick = nextTick.addingTimeInterval(tickSeconds)
            }
        }
    }

    // MARK: - Modbus

    private func serveModbus(_ client: Int32) {
        modbus_set_socket(context, client)
        var query = [UInt8](repeating: 0, count: Int(MODBUS_TCP_MAX_ADU_LENGTH))
        let length = modbus_receive(context, &query)
        guard length > 0 else {
            if length < 0 {
                close(client)
                modbusClients.remove(client)
            }
            return
        }
        let header = Int(modbus_get_header_length(context))
        let unit = Int(query[header - 1])
        guard let pack = packs[unit], !pack.faults.silent, let mapping = mappings[unit] else { return }  // no answer
        if let code = pack.faults.exceptionCode {
            modbus_reply_exception(context, query, code)
            return
        }
        let before = Array(UnsafeBufferPointer(start: mapping.pointee.tab_registers, count: Int(mapping.pointee.nb_registers)))
        modbus_reply(context, query, length, mapping)
        let after = Array(UnsafeBufferPointer(start: mapping.pointee.tab_registers, count: Int(mapping.pointee.nb_registers)))
        let start = Int(mapping.pointee.start_registers)
        for index in before.indices where before[index] != after[index] {
            let change: String?
            if let map = pack.registerMap {
                change = packs[unit]?.apply(write: after[index], at: start + index, map: map)
            } else {
                change = packs[unit]?.apply(write: after[index], at: start + index)
            }
            if let change { log("unit \(unit): agent wrote \(change)") }
        }
        if before != after { refresh(unit) }
    }

    /// Rewrites a pack's registers from its state.
    private func refresh(_ unit: Int) {
        guard let pack = packs[unit] else { return }
        let start: Int
        let holding: [UInt16]
        let input: [UInt16]
        if let map = pack.registerMap {
            start = 0
            (holding, input) = pack.registerImages(map: map)
        } else {
            start = SimulatedPack.baseAddress
            holding = pack.sunSpecImage()
            input = []
        }
        let fits = mappings[unit].map {
            Int($0.pointee.nb_registers) == holding.count && Int($0.pointee.nb_input_registers) == input.count
        } ?? false
        if !fits {
            if let old = mappings[unit] { modbus_mapping_free(old) }
            mappings[unit] = modbus_mapping_new_start_address(
                0, 0, 0, 0, UInt32(start), UInt32(holding.count), 0, UInt32(input.count))
        }
        guard let mapping = mappings[unit] else { return }
        for (index, word) in holding.enumerated() { mapping.pointee.tab_registers[index] = word }
        for (index, word) in input.enumerated() { mapping.pointee.tab_input_registers[index] = word }
    }

    // MARK: - Control

    private func serveControl(_ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = read(client, &buffer, buffer.count)
        guard count > 0 else {
            close(client)
            controlClients.removeValue(forKey: client)
            return
        }
        controlClients[client, default: []] += buffer[..<count]
        while let newline = controlClients[client]?.firstIndex(of: 0x0A) {
            let line = String(decoding: controlClients[client]?[..<newline] ?? [], as: UTF8.self)
            controlClients[client]?.removeSubrange(...newline)
            let reply = SimulatorControl.handle(line, packs: &packs) + "\n"
            for unit in packs.keys { refresh(unit) }
            log("control: \(line) → \(reply.trimmingCharacters(in: .newlines))")
            _ = reply.utf8CString.withUnsafeBufferPointer { send(client, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// A client socket not inherited by processes started later (`accept4` is not imported here).
    private static func acceptClosingOnExec(_ listener: Int32) -> Int32 {
        let client = accept(listener, nil, nil)
        if client >= 0 { _ = fcntl(client, F_SETFD, FD_CLOEXEC) }
        return client
    }

    private static func listen(host: String, port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SimulatorError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(descriptor, 8) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = close(descriptor)
            throw SimulatorError("cannot listen on control port \(host):\(port): \(reason)")
        }
        return descriptor
    }
}

struct SimulatorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
