extension SunSpecBatteryBank {
    /// One string block of model 803 (32 registers), scaled with the bank's scale factors.
    public struct StringSummary: Sendable, Equatable {
        /// Offsets of the writable points within a string block; add to `offset(ofStringBlock:)`.
        public enum Offset {
            /// StrSetEna: write a `SunSpecStringControl.Enable` raw value.
            public static let setEnable = 28
            /// StrSetCon: write a `SunSpecStringControl.Connect` raw value.
            public static let setConnect = 29
        }

        /// Number of modules in the string (StrNMod).
        public var moduleCount: UInt16?
        /// String status (StrSt) as sent.
        public var statusRaw: UInt32?
        /// Why the string did not connect (StrConFail) as sent.
        public var connectionFailureRaw: UInt16?
        /// String state of charge (StrSoC), %.
        public var soc: Double?
        /// String state of health (StrSoH), %.
        public var soh: Double?
        /// String current (StrA), A.
        public var current: Double?
        /// Cell-voltage and module-temperature extremes.
        public var extremes: SunSpecStringExtremes
        /// Why the string is disabled (StrDisRsn: 0 none, 1 fault, 2 maintenance, 3 external, 4 other).
        public var disabledReasonRaw: UInt16?
        /// Contactor status (StrConSt), one bit per contactor.
        public var contactorStatus: UInt32?
        /// Alarms and warnings (StrEvt1).
        public var events: SunSpecBatteryEvents?
        /// StrEvt2 (reserved), raw.
        public var events2: UInt32?
        /// Vendor events (StrEvtVnd1), raw.
        public var vendorEvents1: UInt32?
        /// Vendor events (StrEvtVnd2), raw.
        public var vendorEvents2: UInt32?
        /// Enable/disable command (StrSetEna) as read back.
        public var setEnableRaw: UInt16?
        /// Connect/disconnect command (StrSetCon) as read back.
        public var setConnectRaw: UInt16?

        /// Whether the string is enabled (StrSt bit 0).
        public var isEnabled: Bool? { statusRaw.map { status in status & 1 != 0 } }
        /// Whether the string's contactors are closed (StrSt bit 1).
        public var contactorsClosed: Bool? { statusRaw.map { status in status & 2 != 0 } }
        /// Why the string did not connect, or `nil` when not implemented or not a defined value.
        public var connectionFailure: SunSpecConnectionFailure? {
            connectionFailureRaw.flatMap(SunSpecConnectionFailure.init(rawValue:))
        }

        /// Decodes the block that starts at `base` (offset from the model's ID register).
        init(_ model: SunSpecModelRegisters, at base: Int) {
            // Bank scale factors: 22 CellV_SF, 23 ModTmp_SF, 24 A_SF, 25 SoH_SF, 26 SoC_SF.
            moduleCount = model.uint16(base)
            statusRaw = model.bitfield32(base + 1)
            connectionFailureRaw = model.enum16(base + 3)
            soc = model.scaledUInt16(base + 4, scaleFactor: 26)
            soh = model.scaledUInt16(base + 5, scaleFactor: 25)
            current = model.scaledInt16(base + 6, scaleFactor: 24)
            extremes = SunSpecStringExtremes(model, at: base + 7, cellVoltageScaleFactor: 22, temperatureScaleFactor: 23)
            disabledReasonRaw = model.enum16(base + 17)
            contactorStatus = model.bitfield32(base + 18)
            events = model.bitfield32(base + 20).map(SunSpecBatteryEvents.init(rawValue:))
            events2 = model.bitfield32(base + 22)
            vendorEvents1 = model.bitfield32(base + 24)
            vendorEvents2 = model.bitfield32(base + 26)
            setEnableRaw = model.enum16(base + Offset.setEnable)
            setConnectRaw = model.enum16(base + Offset.setConnect)
        }
    }
}
