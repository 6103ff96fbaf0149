import BMSCore
import Foundation

/// The pack as a SunSpec device: model 1, 802 and one 805 with every cell, from address 40000.
extension SimulatedPack {
    static let baseAddress = 40000
    static let commonAddress = baseAddress + 2
    static let batteryBaseAddress = commonAddress + 68
    static let moduleAddress = batteryBaseAddress + 64

    /// The whole register image starting at `baseAddress`.
    func sunSpecImage() -> [UInt16] {
        let common = SunSpecCommonModel(
            manufacturer: "PulseBMS", model: "pulsebms-sim \(chemistry.rawValue) \(cellCount)S",
            version: "1.0.0", serialNumber: "SIM-\(unitID)", deviceAddress: UInt16(unitID))
        return SunSpecDiscovery.marker + common.registers + batteryBase().registers + module().registers + [0xFFFF, 0]
    }

    private func clampedU16(_ value: Double) -> UInt16 { UInt16(max(0, min(65534, value.rounded()))) }
    private func clampedI16(_ value: Double) -> Int16 { Int16(max(-32767, min(32767, value.rounded()))) }

    func batteryBase() -> SunSpecBatteryBase.Image {
        let cells = cellVoltages
        let packVolts = model.terminalVoltage(current: current)
        var image = SunSpecBatteryBase.Image()
        image.ahRtgSF = 0
        image.ahRtg = clampedU16(capacityAmpHours)
        image.whRtgSF = 1
        image.whRtg = clampedU16(capacityAmpHours * packVolts / 10)
        image.wChaDisChaMaxSF = 1
        image.wChaRteMax = clampedU16(capacityAmpHours * packVolts / 10)
        image.wDisChaRteMax = clampedU16(capacityAmpHours * packVolts / 10)
        image.socSF = -1
        image.soc = clampedU16(model.soc * 1000)
        image.sohSF = -1
        image.soh = clampedU16(model.stateOfHealth * 1000)
        image.chaSt = current > 0.01 ? 3 : current < -0.01 ? 4 : 6
        image.locRemCtl = 0
        image.hb = heartbeat
        image.almRst = 0
        image.typ = 4
        image.state = contactorsClosed ? 3 : 1
        image.evt1 = 0
        image.vSF = -2
        image.v = clampedU16(packVolts * 100)
        image.cellVSF = -3
        image.cellVMax = clampedU16((cells.max() ?? 0) * 1000)
        image.cellVMin = clampedU16((cells.min() ?? 0) * 1000)
        image.cellVAvg = clampedU16(cells.reduce(0, +) / Double(max(1, cells.count)) * 1000)
        image.aSF = -1
        image.a = clampedI16(current * 10)
        image.aMaxSF = -1
        image.aChaMax = clampedU16(capacityAmpHours * 10)
        image.aDisChaMax = clampedU16(capacityAmpHours * 20)
        image.wSF = 1
        image.w = clampedI16(packVolts * current / 10)
        image.reqW = clampedI16(requestedPowerWatts / 10)
        image.setOp = contactorsClosed ? 1 : 2
        image.setInvState = inverterStarted ? 3 : 1
        return image
    }

    func module() -> SunSpecBatteryModule.Image {
        var image = SunSpecBatteryModule.Image(cellCount: cellCount)
        image.strIdx = 1
        image.modIdx = 1
        image.nCell = UInt16(cellCount)
        image.socSF = -1
        image.soc = clampedU16(model.soc * 1000)
        image.vSF = -2
        image.v = clampedU16(model.terminalVoltage(current: current) * 100)
        image.cellVSF = -3
        image.tmpSF = -1
        image.sn = "SIM-MOD-\(unitID)"
        let temperatures = model.cellTemperatures()
        image.cells = zip(cellVoltages, temperatures).enumerated().map { index, reading in
            SunSpecBatteryModule.Image.Cell(
                cellV: clampedU16(reading.0 * 1000),
                cellTmp: faults.droppedSensors.contains(index) ? Int16.min : clampedI16(reading.1 * 10),
                cellSt: 0)
        }
        return image
    }

    /// Applies a register the agent wrote, by its absolute address. Returns a description for the log.
    mutating func apply(write value: UInt16, at address: Int) -> String? {
        switch address - Self.batteryBaseAddress {
        case SunSpecBatteryBase.Offset.setOp:
            contactorsClosed = value != 2
            return "SetOp=\(value) (contactors \(contactorsClosed ? "closed" : "open"))"
        case SunSpecBatteryBase.Offset.setInvState:
            inverterStarted = value == 3
            return "SetInvState=\(value)"
        case SunSpecBatteryBase.Offset.reqW:
            // ReqW with W_SF = 1: the requested power in 10 W steps, > 0 discharge.
            requestedPowerWatts = Double(Int16(bitPattern: value)) * 10
            let volts = max(1, model.terminalVoltage(current: 0))
            requestedCurrent = requestedPowerWatts / volts
            return "ReqW=\(requestedPowerWatts) W (current \(String(format: "%.1f", requestedCurrent)) A)"
        case SunSpecBatteryBase.Offset.almRst:
            if value == SunSpecBatteryBase.alarmResetCommand { alarmResets += 1 }
            return "AlmRst=\(value)"
        default:
            return nil
        }
    }
}
