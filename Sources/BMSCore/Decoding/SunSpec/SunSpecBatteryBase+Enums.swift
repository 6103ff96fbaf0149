extension SunSpecBatteryBase {
    /// Charge status (ChaSt, enum16).
    public enum ChargeStatus: UInt16, Sendable, CaseIterable {
        /// 1 OFF.
        case off = 1
        /// 2 EMPTY.
        case empty = 2
        /// 3 DISCHARGING.
        case discharging = 3
        /// 4 CHARGING.
        case charging = 4
        /// 5 FULL.
        case full = 5
        /// 6 HOLDING.
        case holding = 6
        /// 7 TESTING.
        case testing = 7
    }

    /// Whether the battery takes commands from the controller (LocRemCtl, enum16).
    public enum ControlMode: UInt16, Sendable, CaseIterable {
        /// 0 REMOTE: the battery accepts remote commands.
        case remote = 0
        /// 1 LOCAL: the battery is under local control.
        case local = 1
    }

    /// Battery type (Typ, enum16).
    public enum BatteryType: UInt16, Sendable, CaseIterable {
        /// 0 not applicable / unknown.
        case unknown = 0
        /// 1 lead-acid.
        case leadAcid = 1
        /// 2 nickel-metal hydride.
        case nickelMetalHydride = 2
        /// 3 nickel-cadmium.
        case nickelCadmium = 3
        /// 4 lithium-ion.
        case lithiumIon = 4
        /// 5 carbon-zinc.
        case carbonZinc = 5
        /// 6 zinc chloride.
        case zincChloride = 6
        /// 7 alkaline.
        case alkaline = 7
        /// 8 rechargeable alkaline.
        case rechargeableAlkaline = 8
        /// 9 sodium-sulfur.
        case sodiumSulfur = 9
        /// 10 flow.
        case flow = 10
        /// 99 other.
        case other = 99
    }

    /// Battery state (State, enum16).
    public enum State: UInt16, Sendable, CaseIterable {
        /// 1 DISCONNECTED.
        case disconnected = 1
        /// 2 INITIALIZING.
        case initializing = 2
        /// 3 CONNECTED.
        case connected = 3
        /// 4 STANDBY.
        case standby = 4
        /// 5 SOC PROTECTION.
        case socProtection = 5
        /// 6 SUSPENDING.
        case suspending = 6
        /// 99 FAULT.
        case fault = 99
    }

    /// Inverter state the battery asks for (ReqInvState, enum16).
    public enum InverterStateRequest: UInt16, Sendable, CaseIterable {
        /// 0 no request.
        case noRequest = 0
        /// 1 START.
        case start = 1
        /// 2 STOP.
        case stop = 2
    }

    /// Connect or disconnect the battery (SetOp, enum16, written at `Offset.setOp`).
    public enum ConnectionCommand: UInt16, Sendable, CaseIterable {
        /// 1 CONNECT.
        case connect = 1
        /// 2 DISCONNECT.
        case disconnect = 2
    }

    /// The inverter state the controller reports to the battery (SetInvState, enum16, written at
    /// `Offset.setInvState`).
    public enum InverterStateCommand: UInt16, Sendable, CaseIterable {
        /// 1 STOPPED.
        case stopped = 1
        /// 2 STANDBY.
        case standby = 2
        /// 3 STARTED.
        case started = 3
    }
}
