@testable import BMSCore

/// Register images of a whole SunSpec device, built with the encoders, for chain and model tests.
enum SunSpecTestImages {
    static let common = SunSpecCommonModel(
        manufacturer: "PulseBMS", model: "SIM-LFP", options: "opt", version: "1.2.3", serialNumber: "SN-000042",
        deviceAddress: 1)

    /// A model 802 image with the protocols.md test vector and a few more points set.
    static var batteryBase: SunSpecBatteryBase.Image {
        var image = SunSpecBatteryBase.Image()
        image.ahRtg = 280
        image.whRtg = 0x0400
        image.whRtgSF = 1
        image.soc = 0x222E
        image.socSF = -2
        image.soh = 97
        image.nCyc = 0x0001_0002
        image.chaSt = SunSpecBatteryBase.ChargeStatus.charging.rawValue
        image.locRemCtl = SunSpecBatteryBase.ControlMode.remote.rawValue
        image.typ = SunSpecBatteryBase.BatteryType.lithiumIon.rawValue
        image.state = SunSpecBatteryBase.State.connected.rawValue
        image.evt1 = 0x0000_4004
        image.v = 0x1400
        image.vSF = -2
        image.cellVMax = 0x0D11
        image.cellVMin = 3290
        image.cellVAvg = 3300
        image.cellVSF = -3
        image.a = -200
        image.aSF = -1
        image.aChaMax = 1400
        image.aDisChaMax = 2000
        image.aMaxSF = -1
        image.setOp = SunSpecBatteryBase.ConnectionCommand.connect.rawValue
        image.setInvState = SunSpecBatteryBase.InverterStateCommand.started.rawValue
        return image
    }

    /// A model 805 image of `cellCount` cells: cell n at 3.300 + n mV and 25.n °C, odd cells balancing.
    static func module(cellCount: Int) -> SunSpecBatteryModule.Image {
        var image = SunSpecBatteryModule.Image(cellCount: cellCount)
        image.strIdx = 1
        image.modIdx = 2
        image.nCell = UInt16(cellCount)
        image.v = 5120
        image.vSF = -2
        image.cellVSF = -3
        image.tmpSF = -1
        image.sn = "MOD-7"
        image.cells = (0..<cellCount).map { (index: Int) -> SunSpecBatteryModule.Image.Cell in
            let millivolts = UInt16(3300 + index + 1)
            let deciCelsius = Int16(250 + index + 1)
            let status: UInt32 = index % 2 == 0 ? 1 : 0
            return SunSpecBatteryModule.Image.Cell(cellV: millivolts, cellTmp: deciCelsius, cellSt: status)
        }
        return image
    }

    /// "SunS", model 1, model 802, model 805 and the end marker (ID 0xFFFF, L 0).
    static func device(cellCount: Int = 16) -> [UInt16] {
        SunSpecDiscovery.marker + common.registers + batteryBase.registers + module(cellCount: cellCount).registers
            + [0xFFFF, 0]
    }
}
