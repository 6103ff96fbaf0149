import BMSCore
import Foundation
import Synchronization

/// A pack that speaks SunSpec (models 802 and 805) over Modbus.
///
/// The model chain is discovered on the first read and again after the device answers with an address
/// error (its layout changed, e.g. after a firmware update); later reads fetch only 802 and the 805s.
final class SunSpecPackSource: PackSource {
    let deviceID: String
    let unitID: Int
    private let bus: ModbusBus
    private let layout = Mutex<Layout?>(nil)
    /// W_SF of the last read, to scale power setpoints.
    private let powerScaleFactor = Mutex<Int16?>(nil)

    struct Layout: Sendable, Equatable {
        var batteryBase: SunSpecModelHeader
        var modules: [SunSpecModelHeader]
    }

    init(deviceID: String, unitID: Int, bus: ModbusBus) {
        self.deviceID = deviceID
        self.unitID = unitID
        self.bus = bus
    }

    func read(at time: Timestamp, previous: PackSnapshot?) async throws(PackSourceError) -> PackSnapshot {
        let known = layout.withLock { $0 }
        let unit = unitID
        let result: Result<(Layout, [UInt16], [[UInt16]]), PackSourceError>
        do {
            result = try await bus.perform { connection throws(ModbusError) in
                if let known {
                    let base = try connection.readHoldingRegisterRange(
                        unit: unit, address: known.batteryBase.address, count: known.batteryBase.registerCount)
                    let modules = try known.modules.map { header throws(ModbusError) in
                        try connection.readHoldingRegisterRange(unit: unit, address: header.address, count: header.registerCount)
                    }
                    return .success((known, base, modules))
                }
                return try Self.discover(connection: connection, unit: unit)
            }
        } catch {
            if case .exception(code: 2) = error { layout.withLock { $0 = nil } }  // rediscover next time
            throw .modbus(error)
        }
        let (found, baseRegisters, moduleRegisters) = try result.get()
        layout.withLock { $0 = found }
        do {
            let base = try SunSpecBatteryBase(registers: baseRegisters)
            powerScaleFactor.withLock { $0 = base.image.wSF == Int16.min ? nil : base.image.wSF }
            let modules = try moduleRegisters.map { registers throws(SunSpecError) in try SunSpecBatteryModule(registers: registers) }
            return PackSnapshot(deviceID: deviceID, at: time, base: base, modules: modules, previous: previous)
        } catch {
            layout.withLock { $0 = nil }
            throw .profileMismatch("undecodable SunSpec data: \(error)")
        }
    }

    private static func discover(
        connection: ModbusConnection, unit: Int
    ) throws(ModbusError) -> Result<(Layout, [UInt16], [[UInt16]]), PackSourceError> {
        let probe = SunSpecProbe(connection: connection, unit: unit)
        let models: [(header: SunSpecModelHeader, registers: [UInt16])]
        do {
            models = try probe.readModels(base: try probe.findBase())
        } catch {
            switch error {
            case .notReachable(let cause): throw cause
            case .noSunSpec: return .failure(.profileMismatch("no SunSpec marker"))
            case .badChain(let cause): return .failure(.profileMismatch("broken SunSpec model chain: \(cause)"))
            }
        }
        guard let base = models.first(where: { $0.header.id == SunSpecBatteryBase.modelID }) else {
            return .failure(.profileMismatch("no SunSpec model 802 (battery base)"))
        }
        let modules = models.filter { $0.header.id == 805 }
        return .success((Layout(batteryBase: base.header, modules: modules.map(\.header)), base.registers, modules.map(\.registers)))
    }

    func apply(powerWatts: Double) async throws(PackSourceError) {
        guard let base = layout.withLock({ $0?.batteryBase }), let scale = powerScaleFactor.withLock({ $0 }),
            (-10...10).contains(scale)
        else { throw .profileMismatch("the pack's power scale factor (W_SF) is not known") }
        let raw = (powerWatts / pow(10, Double(scale))).rounded()
        let value = UInt16(bitPattern: Int16(max(-32767, min(32767, raw))))
        let unit = unitID
        do {
            try await bus.perform { connection throws(ModbusError) in
                try connection.writeRegister(unit: unit, address: base.address + SunSpecBatteryBase.Offset.reqW, value: value)
            }
        } catch {
            throw .modbus(error)
        }
    }

    func perform(_ command: LocalCommand) async throws(PackSourceError) {
        guard let base = layout.withLock({ $0?.batteryBase }) else {
            throw .profileMismatch("the pack's SunSpec layout is not known yet")
        }
        let writes: [(offset: Int, value: UInt16)]
        switch command {
        case .openContactors: writes = [(SunSpecBatteryBase.Offset.setOp, 2)]
        case .stopPower: writes = [(SunSpecBatteryBase.Offset.setInvState, 1)]
        case .resetAlarms: writes = [(SunSpecBatteryBase.Offset.almRst, SunSpecBatteryBase.alarmResetCommand)]
        case .start: writes = [(SunSpecBatteryBase.Offset.setOp, 1), (SunSpecBatteryBase.Offset.setInvState, 3)]
        }
        let unit = unitID
        do {
            try await bus.perform { connection throws(ModbusError) in
                for write in writes {
                    try connection.writeRegister(unit: unit, address: base.address + write.offset, value: write.value)
                }
            }
        } catch {
            throw .modbus(error)
        }
    }
}
