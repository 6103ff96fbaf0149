import BMSCore

/// A pack read through a YAML register map (no SunSpec).
///
/// Every block of the map's read plan is read; a block that fails leaves its values stale rather than
/// failing the whole read, unless every block fails.
final class RegisterMapPackSource: PackSource {
    let deviceID: String
    let unitID: Int
    let map: RegisterMap
    private let bus: ModbusBus
    private let plan: [RegisterBlock]
    private let cellCount: Int
    private let temperatureCount: Int

    init(deviceID: String, unitID: Int, map: RegisterMap, bus: ModbusBus) {
        self.deviceID = deviceID
        self.unitID = unitID
        self.map = map
        self.bus = bus
        plan = map.readPlan()
        cellCount = map.points.compactMap { if case .cellVoltage(let n) = $0.field { n } else { nil } }.max() ?? 0
        temperatureCount = map.points.compactMap { if case .cellTemperature(let n) = $0.field { n } else { nil } }.max() ?? 0
    }

    func read(at time: Timestamp, previous: PackSnapshot?) async throws(PackSourceError) -> PackSnapshot {
        let unit = unitID
        let plan = plan
        let blocks: [RegisterBlock: [UInt16]]
        let firstError: ModbusError?
        do throws(ModbusError) {
            (blocks, firstError) = try await bus.perform { connection throws(ModbusError) in
                var blocks: [RegisterBlock: [UInt16]] = [:]
                var firstError: ModbusError?
                for block in plan {
                    do throws(ModbusError) {
                        blocks[block] = block.table == .input
                            ? try connection.readInputRegisters(unit: unit, address: block.address, count: block.count)
                            : try connection.readHoldingRegisters(unit: unit, address: block.address, count: block.count)
                    } catch {
                        firstError = firstError ?? error
                        if case .linkDown = error { break }
                    }
                }
                return (blocks, firstError)
            }
        } catch {
            throw .modbus(error)
        }
        if blocks.isEmpty { throw .modbus(firstError ?? .badReply("the register map has no points")) }
        return PackSnapshot(
            deviceID: deviceID, at: time, values: map.decode(blocks: blocks), cellCount: cellCount,
            temperatureCount: temperatureCount, previous: previous)
    }

    func apply(powerWatts: Double) async throws(PackSourceError) {
        throw .profileMismatch("register map '\(map.name)' defines no power setpoint")
    }

    func perform(_ command: LocalCommand) async throws(PackSourceError) {
        guard let write = map.commands?[command.rawValue] else {
            throw .profileMismatch("register map '\(map.name)' defines no register for \(command.rawValue)")
        }
        let unit = unitID
        do {
            try await bus.perform { connection throws(ModbusError) in
                try connection.writeRegister(unit: unit, address: write.address, value: write.value)
            }
        } catch {
            throw .modbus(error)
        }
    }
}
