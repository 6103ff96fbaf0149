/// SunSpec model 802 (Battery Base): the pack-level view of a storage system.
///
/// Decoded from the 64 registers starting at the model's ID register (offsets from pysunspec2
/// `model_802.json`). Every typed value is `nil` when its point or its scale factor is not implemented,
/// or when the scale factor is outside −10…10. The sign convention of `current` and `power` is not defined by
/// the model (UNVERIFIED per device).
public struct SunSpecBatteryBase: Sendable, Equatable {
    /// The model ID, 802.
    public static let modelID: UInt16 = 802
    /// The model length `L`, 62.
    public static let length = 62
    /// The value to write to `AlmRst` (`Offset.almRst`) to reset latched alarms.
    public static let alarmResetCommand: UInt16 = 1

    /// Offsets (from the ID register) of the points the agent writes; add them to the model's address.
    public enum Offset {
        /// SocRsvMax, uint16 % × 10^SoC_SF.
        public static let socRsvMax = 9
        /// SoCRsvMin, uint16 % × 10^SoC_SF.
        public static let socRsvMin = 10
        /// CtrlHb, the controller heartbeat: write a value that changes on every write.
        public static let ctrlHb = 19
        /// AlmRst: write `SunSpecBatteryBase.alarmResetCommand`.
        public static let almRst = 20
        /// SetOp: write a `ConnectionCommand` raw value.
        public static let setOp = 50
        /// SetInvState: write an `InverterStateCommand` raw value.
        public static let setInvState = 51
        /// ReqW: the requested power. SunSpec defines it read-only; PulseBMS writes it as a vendor setpoint,
        /// which pulsebms-sim honours (real storage controls use other models, UNVERIFIED per device).
        public static let reqW = 49
    }

    /// The raw points.
    public var image: Image

    /// A model from a raw image (for simulators and tests).
    public init(image: Image = Image()) {
        self.image = image
    }

    /// Decodes model 802 from registers that start at its ID register; registers after the model are ignored.
    ///
    /// - Throws: `SunSpecError.unexpectedModel`, `.modelTruncated` or `.lengthMismatch` (L other than 62).
    public init(registers: [UInt16]) throws(SunSpecError) {
        let model = try SunSpecModelRegisters(registers, model: Self.modelID)
        try model.requireLength(Self.length)
        image = Image(checked: model.registers)
    }

    /// The model's 64 registers, as a device serves them.
    public var registers: [UInt16] { image.registers }

    private func scaled(_ raw: UInt16, _ scaleFactor: Int16) -> Double? {
        SunSpecPoint.scaled(SunSpecPoint.uint16(raw: raw), scaleFactor: SunSpecPoint.sunssf(raw: scaleFactor))
    }

    private func scaled(signed raw: Int16, _ scaleFactor: Int16) -> Double? {
        SunSpecPoint.scaled(SunSpecPoint.int16(raw: raw), scaleFactor: SunSpecPoint.sunssf(raw: scaleFactor))
    }

    // MARK: - Ratings

    /// Nameplate charge capacity (AHRtg), Ah.
    public var capacityRating: Double? { scaled(image.ahRtg, image.ahRtgSF) }
    /// Nameplate energy capacity (WHRtg), Wh.
    public var energyRating: Double? { scaled(image.whRtg, image.whRtgSF) }
    /// Maximum charge rate (WChaRteMax), W.
    public var chargeRateMax: Double? { scaled(image.wChaRteMax, image.wChaDisChaMaxSF) }
    /// Maximum discharge rate (WDisChaRteMax), W.
    public var dischargeRateMax: Double? { scaled(image.wDisChaRteMax, image.wChaDisChaMaxSF) }
    /// Self-discharge rate (DisChaRte), % of WHRtg per day.
    public var selfDischargeRate: Double? { scaled(image.disChaRte, image.disChaRteSF) }

    // MARK: - State of charge and health

    /// Manufacturer maximum SoC (SoCMax), %.
    public var socMax: Double? { scaled(image.socMax, image.socSF) }
    /// Manufacturer minimum SoC (SoCMin), %.
    public var socMin: Double? { scaled(image.socMin, image.socSF) }
    /// Maximum reserve SoC (SocRsvMax), %.
    public var socReserveMax: Double? { scaled(image.socRsvMax, image.socSF) }
    /// Minimum reserve SoC (SoCRsvMin), %.
    public var socReserveMin: Double? { scaled(image.socRsvMin, image.socSF) }
    /// State of charge (SoC), %.
    public var soc: Double? { scaled(image.soc, image.socSF) }
    /// Depth of discharge (DoD), %.
    public var depthOfDischarge: Double? { scaled(image.dod, image.dodSF) }
    /// State of health (SoH), %.
    public var soh: Double? { scaled(image.soh, image.sohSF) }
    /// Cycle count (NCyc).
    public var cycleCount: UInt32? { SunSpecPoint.uint32(raw: image.nCyc) }

    // MARK: - Status

    /// Charge status (ChaSt) as sent; `nil` when not implemented.
    public var chargeStatusRaw: UInt16? { SunSpecPoint.enum16(raw: image.chaSt) }
    /// Charge status, or `nil` when not implemented or not a defined value.
    public var chargeStatus: ChargeStatus? { chargeStatusRaw.flatMap(ChargeStatus.init(rawValue:)) }
    /// Control mode (LocRemCtl) as sent.
    public var controlModeRaw: UInt16? { SunSpecPoint.enum16(raw: image.locRemCtl) }
    /// Control mode, or `nil` when not implemented or not a defined value.
    public var controlMode: ControlMode? { controlModeRaw.flatMap(ControlMode.init(rawValue:)) }
    /// Battery heartbeat (Hb), incremented every second by the battery.
    public var heartbeat: UInt16? { SunSpecPoint.uint16(raw: image.hb) }
    /// Controller heartbeat (CtrlHb) as last written.
    public var controllerHeartbeat: UInt16? { SunSpecPoint.uint16(raw: image.ctrlHb) }
    /// Alarm reset (AlmRst) as read back.
    public var alarmReset: UInt16? { SunSpecPoint.uint16(raw: image.almRst) }
    /// Battery type (Typ) as sent.
    public var batteryTypeRaw: UInt16? { SunSpecPoint.enum16(raw: image.typ) }
    /// Battery type, or `nil` when not implemented or not a defined value.
    public var batteryType: BatteryType? { batteryTypeRaw.flatMap(BatteryType.init(rawValue:)) }
    /// Battery state (State) as sent.
    public var stateRaw: UInt16? { SunSpecPoint.enum16(raw: image.state) }
    /// Battery state, or `nil` when not implemented or not a defined value.
    public var state: State? { stateRaw.flatMap(State.init(rawValue:)) }
    /// Vendor battery state (StateVnd).
    public var vendorState: UInt16? { SunSpecPoint.enum16(raw: image.stateVnd) }
    /// Warranty date (WarrDt), as sent.
    public var warrantyDate: UInt32? { SunSpecPoint.uint32(raw: image.warrDt) }

    // MARK: - Events

    /// Alarms and warnings (Evt1); `nil` when not implemented (0xFFFFFFFF).
    public var events: SunSpecBatteryEvents? {
        SunSpecPoint.bitfield32(raw: image.evt1).map(SunSpecBatteryEvents.init(rawValue:))
    }
    /// Evt2 (reserved), raw.
    public var events2: UInt32? { SunSpecPoint.bitfield32(raw: image.evt2) }
    /// Vendor events (EvtVnd1), raw.
    public var vendorEvents1: UInt32? { SunSpecPoint.bitfield32(raw: image.evtVnd1) }
    /// Vendor events (EvtVnd2), raw.
    public var vendorEvents2: UInt32? { SunSpecPoint.bitfield32(raw: image.evtVnd2) }

    // MARK: - Voltage, current, power

    /// External battery voltage (V), V.
    public var voltage: Double? { scaled(image.v, image.vSF) }
    /// Maximum battery voltage (VMax), V.
    public var voltageMax: Double? { scaled(image.vMax, image.vSF) }
    /// Minimum battery voltage (VMin), V.
    public var voltageMin: Double? { scaled(image.vMin, image.vSF) }
    /// Highest cell voltage (CellVMax), V.
    public var cellVoltageMax: Double? { scaled(image.cellVMax, image.cellVSF) }
    /// String holding the highest cell voltage (CellVMaxStr).
    public var cellVoltageMaxString: UInt16? { SunSpecPoint.uint16(raw: image.cellVMaxStr) }
    /// Module holding the highest cell voltage (CellVMaxMod).
    public var cellVoltageMaxModule: UInt16? { SunSpecPoint.uint16(raw: image.cellVMaxMod) }
    /// Lowest cell voltage (CellVMin), V.
    public var cellVoltageMin: Double? { scaled(image.cellVMin, image.cellVSF) }
    /// String holding the lowest cell voltage (CellVMinStr).
    public var cellVoltageMinString: UInt16? { SunSpecPoint.uint16(raw: image.cellVMinStr) }
    /// Module holding the lowest cell voltage (CellVMinMod).
    public var cellVoltageMinModule: UInt16? { SunSpecPoint.uint16(raw: image.cellVMinMod) }
    /// Average cell voltage (CellVAvg), V.
    public var cellVoltageAverage: Double? { scaled(image.cellVAvg, image.cellVSF) }
    /// Total DC current (A), A; sign convention per device (UNVERIFIED).
    public var current: Double? { scaled(signed: image.a, image.aSF) }
    /// Maximum charge current (AChaMax), A.
    public var chargeCurrentMax: Double? { scaled(image.aChaMax, image.aMaxSF) }
    /// Maximum discharge current (ADisChaMax), A.
    public var dischargeCurrentMax: Double? { scaled(image.aDisChaMax, image.aMaxSF) }
    /// Total power (W), W; sign convention per device (UNVERIFIED).
    public var power: Double? { scaled(signed: image.w, image.wSF) }

    // MARK: - Requests and commands

    /// Inverter state the battery requests (ReqInvState) as sent.
    public var inverterStateRequestRaw: UInt16? { SunSpecPoint.enum16(raw: image.reqInvState) }
    /// Inverter state the battery requests, or `nil` when not implemented or not a defined value.
    public var inverterStateRequest: InverterStateRequest? {
        inverterStateRequestRaw.flatMap(InverterStateRequest.init(rawValue:))
    }
    /// Power the battery requests (ReqW), W.
    public var requestedPower: Double? { scaled(signed: image.reqW, image.wSF) }
    /// Connect/disconnect command (SetOp) as read back.
    public var connectionCommandRaw: UInt16? { SunSpecPoint.enum16(raw: image.setOp) }
    /// Connect/disconnect command, or `nil` when not implemented or not a defined value.
    public var connectionCommand: ConnectionCommand? {
        connectionCommandRaw.flatMap(ConnectionCommand.init(rawValue:))
    }
    /// Inverter state set by the controller (SetInvState) as read back.
    public var inverterStateCommandRaw: UInt16? { SunSpecPoint.enum16(raw: image.setInvState) }
    /// Inverter state set by the controller, or `nil` when not implemented or not a defined value.
    public var inverterStateCommand: InverterStateCommand? {
        inverterStateCommandRaw.flatMap(InverterStateCommand.init(rawValue:))
    }
}
