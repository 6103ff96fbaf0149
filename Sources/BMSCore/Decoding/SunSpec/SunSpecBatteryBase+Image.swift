extension SunSpecBatteryBase {
    /// The raw register image of model 802, point by point, as a device serves it.
    ///
    /// Each property reads or writes the raw register value of one point (named as in the SunSpec model),
    /// so an image decodes and encodes symmetrically by construction: a simulator sets points and serves
    /// `registers`; `SunSpecBatteryBase(registers:)` reads them back. Not-implemented values are kept as
    /// they are (0xFFFF, 0x8000, 0xFFFFFFFF); the typed values of `SunSpecBatteryBase` turn them into `nil`.
    public struct Image: Sendable, Equatable {
        /// The 64 registers (ID 802, `L` = 62, body), ID first.
        public private(set) var registers: [UInt16]

        /// An image with every point not implemented (0xFFFF, or 0x8000 for int16 points) and every scale
        /// factor 0.
        public init() {
            var words = [UInt16](repeating: 0xFFFF, count: SunSpecBatteryBase.length + 2)
            words[0] = SunSpecBatteryBase.modelID
            words[1] = UInt16(SunSpecBatteryBase.length)
            for offset in [44, 47, 49] { words[offset] = 0x8000 }
            for offset in 52...63 { words[offset] = 0 }
            registers = words
        }

        /// An image of registers already checked to be exactly one model 802 (64 registers).
        init(checked registers: [UInt16]) {
            self.registers = registers
        }

        // Every offset below is a constant inside the 64 registers that both initializers guarantee.
        private func word(_ offset: Int) -> UInt16 { registers[offset] }
        private mutating func setWord(_ offset: Int, _ value: UInt16) { registers[offset] = value }
        private func signedWord(_ offset: Int) -> Int16 { Int16(bitPattern: registers[offset]) }
        private mutating func setSignedWord(_ offset: Int, _ value: Int16) {
            registers[offset] = UInt16(bitPattern: value)
        }
        private func doubleWord(_ offset: Int) -> UInt32 {
            UInt32(registers[offset]) << 16 | UInt32(registers[offset + 1])
        }
        private mutating func setDoubleWord(_ offset: Int, _ value: UInt32) {
            registers[offset] = UInt16(truncatingIfNeeded: value >> 16)
            registers[offset + 1] = UInt16(truncatingIfNeeded: value)
        }

        // MARK: - Points

        /// AHRtg @2: nameplate charge capacity, Ah × 10^AHRtg_SF.
        public var ahRtg: UInt16 { get { word(2) } set { setWord(2, newValue) } }
        /// WHRtg @3: nameplate energy capacity, Wh × 10^WHRtg_SF.
        public var whRtg: UInt16 { get { word(3) } set { setWord(3, newValue) } }
        /// WChaRteMax @4: maximum charge rate, W × 10^WChaDisChaMax_SF.
        public var wChaRteMax: UInt16 { get { word(4) } set { setWord(4, newValue) } }
        /// WDisChaRteMax @5: maximum discharge rate, W × 10^WChaDisChaMax_SF.
        public var wDisChaRteMax: UInt16 { get { word(5) } set { setWord(5, newValue) } }
        /// DisChaRte @6: self-discharge rate, %WHRtg/day × 10^DisChaRte_SF.
        public var disChaRte: UInt16 { get { word(6) } set { setWord(6, newValue) } }
        /// SoCMax @7: maximum SoC, % × 10^SoC_SF.
        public var socMax: UInt16 { get { word(7) } set { setWord(7, newValue) } }
        /// SoCMin @8: minimum SoC, % × 10^SoC_SF.
        public var socMin: UInt16 { get { word(8) } set { setWord(8, newValue) } }
        /// SocRsvMax @9: maximum reserve SoC, % × 10^SoC_SF (writable).
        public var socRsvMax: UInt16 { get { word(9) } set { setWord(9, newValue) } }
        /// SoCRsvMin @10: minimum reserve SoC, % × 10^SoC_SF (writable).
        public var socRsvMin: UInt16 { get { word(10) } set { setWord(10, newValue) } }
        /// SoC @11: state of charge, % × 10^SoC_SF.
        public var soc: UInt16 { get { word(11) } set { setWord(11, newValue) } }
        /// DoD @12: depth of discharge, % × 10^DoD_SF.
        public var dod: UInt16 { get { word(12) } set { setWord(12, newValue) } }
        /// SoH @13: state of health, % × 10^SoH_SF.
        public var soh: UInt16 { get { word(13) } set { setWord(13, newValue) } }
        /// NCyc @14: cycle count.
        public var nCyc: UInt32 { get { doubleWord(14) } set { setDoubleWord(14, newValue) } }
        /// ChaSt @16: charge status (enum16).
        public var chaSt: UInt16 { get { word(16) } set { setWord(16, newValue) } }
        /// LocRemCtl @17: local/remote control mode (enum16).
        public var locRemCtl: UInt16 { get { word(17) } set { setWord(17, newValue) } }
        /// Hb @18: battery heartbeat, +1 each second.
        public var hb: UInt16 { get { word(18) } set { setWord(18, newValue) } }
        /// CtrlHb @19: controller heartbeat (writable).
        public var ctrlHb: UInt16 { get { word(19) } set { setWord(19, newValue) } }
        /// AlmRst @20: alarm reset; write 1 to reset latched alarms.
        public var almRst: UInt16 { get { word(20) } set { setWord(20, newValue) } }
        /// Typ @21: battery type (enum16).
        public var typ: UInt16 { get { word(21) } set { setWord(21, newValue) } }
        /// State @22: battery state (enum16).
        public var state: UInt16 { get { word(22) } set { setWord(22, newValue) } }
        /// StateVnd @23: vendor battery state (enum16).
        public var stateVnd: UInt16 { get { word(23) } set { setWord(23, newValue) } }
        /// WarrDt @24: warranty date.
        public var warrDt: UInt32 { get { doubleWord(24) } set { setDoubleWord(24, newValue) } }
        /// Evt1 @26: alarms and warnings (bitfield32).
        public var evt1: UInt32 { get { doubleWord(26) } set { setDoubleWord(26, newValue) } }
        /// Evt2 @28: more events, reserved (bitfield32).
        public var evt2: UInt32 { get { doubleWord(28) } set { setDoubleWord(28, newValue) } }
        /// EvtVnd1 @30: vendor events (bitfield32).
        public var evtVnd1: UInt32 { get { doubleWord(30) } set { setDoubleWord(30, newValue) } }
        /// EvtVnd2 @32: vendor events (bitfield32).
        public var evtVnd2: UInt32 { get { doubleWord(32) } set { setDoubleWord(32, newValue) } }
        /// V @34: external battery voltage, V × 10^V_SF.
        public var v: UInt16 { get { word(34) } set { setWord(34, newValue) } }
        /// VMax @35: maximum battery voltage, V × 10^V_SF.
        public var vMax: UInt16 { get { word(35) } set { setWord(35, newValue) } }
        /// VMin @36: minimum battery voltage, V × 10^V_SF.
        public var vMin: UInt16 { get { word(36) } set { setWord(36, newValue) } }
        /// CellVMax @37: highest cell voltage, V × 10^CellV_SF.
        public var cellVMax: UInt16 { get { word(37) } set { setWord(37, newValue) } }
        /// CellVMaxStr @38: string holding the highest cell voltage.
        public var cellVMaxStr: UInt16 { get { word(38) } set { setWord(38, newValue) } }
        /// CellVMaxMod @39: module holding the highest cell voltage.
        public var cellVMaxMod: UInt16 { get { word(39) } set { setWord(39, newValue) } }
        /// CellVMin @40: lowest cell voltage, V × 10^CellV_SF.
        public var cellVMin: UInt16 { get { word(40) } set { setWord(40, newValue) } }
        /// CellVMinStr @41: string holding the lowest cell voltage.
        public var cellVMinStr: UInt16 { get { word(41) } set { setWord(41, newValue) } }
        /// CellVMinMod @42: module holding the lowest cell voltage.
        public var cellVMinMod: UInt16 { get { word(42) } set { setWord(42, newValue) } }
        /// CellVAvg @43: average cell voltage, V × 10^CellV_SF.
        public var cellVAvg: UInt16 { get { word(43) } set { setWord(43, newValue) } }
        /// A @44: total DC current, A × 10^A_SF.
        public var a: Int16 { get { signedWord(44) } set { setSignedWord(44, newValue) } }
        /// AChaMax @45: maximum charge current, A × 10^AMax_SF.
        public var aChaMax: UInt16 { get { word(45) } set { setWord(45, newValue) } }
        /// ADisChaMax @46: maximum discharge current, A × 10^AMax_SF.
        public var aDisChaMax: UInt16 { get { word(46) } set { setWord(46, newValue) } }
        /// W @47: total power, W × 10^W_SF.
        public var w: Int16 { get { signedWord(47) } set { setSignedWord(47, newValue) } }
        /// ReqInvState @48: inverter state the battery requests (enum16).
        public var reqInvState: UInt16 { get { word(48) } set { setWord(48, newValue) } }
        /// ReqW @49: power the battery requests, W × 10^W_SF.
        public var reqW: Int16 { get { signedWord(49) } set { setSignedWord(49, newValue) } }
        /// SetOp @50: connect/disconnect command (enum16, writable).
        public var setOp: UInt16 { get { word(50) } set { setWord(50, newValue) } }
        /// SetInvState @51: inverter state set by the controller (enum16, writable).
        public var setInvState: UInt16 { get { word(51) } set { setWord(51, newValue) } }
        /// AHRtg_SF @52: scale factor of AHRtg.
        public var ahRtgSF: Int16 { get { signedWord(52) } set { setSignedWord(52, newValue) } }
        /// WHRtg_SF @53: scale factor of WHRtg.
        public var whRtgSF: Int16 { get { signedWord(53) } set { setSignedWord(53, newValue) } }
        /// WChaDisChaMax_SF @54: scale factor of WChaRteMax and WDisChaRteMax.
        public var wChaDisChaMaxSF: Int16 { get { signedWord(54) } set { setSignedWord(54, newValue) } }
        /// DisChaRte_SF @55: scale factor of DisChaRte.
        public var disChaRteSF: Int16 { get { signedWord(55) } set { setSignedWord(55, newValue) } }
        /// SoC_SF @56: scale factor of the SoC points.
        public var socSF: Int16 { get { signedWord(56) } set { setSignedWord(56, newValue) } }
        /// DoD_SF @57: scale factor of DoD.
        public var dodSF: Int16 { get { signedWord(57) } set { setSignedWord(57, newValue) } }
        /// SoH_SF @58: scale factor of SoH.
        public var sohSF: Int16 { get { signedWord(58) } set { setSignedWord(58, newValue) } }
        /// V_SF @59: scale factor of V, VMax and VMin.
        public var vSF: Int16 { get { signedWord(59) } set { setSignedWord(59, newValue) } }
        /// CellV_SF @60: scale factor of the cell voltages.
        public var cellVSF: Int16 { get { signedWord(60) } set { setSignedWord(60, newValue) } }
        /// A_SF @61: scale factor of A.
        public var aSF: Int16 { get { signedWord(61) } set { setSignedWord(61, newValue) } }
        /// AMax_SF @62: scale factor of AChaMax and ADisChaMax.
        public var aMaxSF: Int16 { get { signedWord(62) } set { setSignedWord(62, newValue) } }
        /// W_SF @63: scale factor of W and ReqW.
        public var wSF: Int16 { get { signedWord(63) } set { setSignedWord(63, newValue) } }
    }
}
