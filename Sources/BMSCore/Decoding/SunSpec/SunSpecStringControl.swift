/// Why a string's contactors did not close (803 `StrConFail`, 804 `ConFail`, enum16).
public enum SunSpecConnectionFailure: UInt16, Sendable, CaseIterable {
    /// 0 no failure.
    case noFailure = 0
    /// 1 button pushed.
    case buttonPushed = 1
    /// 2 ground fault in the string.
    case groundFault = 2
    /// 3 string voltage outside the allowed range.
    case outsideVoltageRange = 3
    /// 4 string not enabled.
    case stringNotEnabled = 4
    /// 5 fuse open.
    case fuseOpen = 5
    /// 6 contactor failure.
    case contactorFailure = 6
    /// 7 precharge failure.
    case prechargeFailure = 7
    /// 8 string fault (see the string's events).
    case stringFault = 8
}

/// Values the controller writes to a string's enable and connect points (803 `StrSetEna`/`StrSetCon` in each
/// string block, 804 `SetEna`/`SetCon`).
///
/// The 804 model JSON defines no symbols for `SetEna`; the 803 values (1 enable, 2 disable) are assumed for it
/// (UNVERIFIED).
public enum SunSpecStringControl {
    /// Enable or disable a string.
    public enum Enable: UInt16, Sendable, CaseIterable {
        /// 1 enable the string.
        case enable = 1
        /// 2 disable the string.
        case disable = 2
    }

    /// Connect or disconnect a string.
    public enum Connect: UInt16, Sendable, CaseIterable {
        /// 1 connect the string.
        case connect = 1
        /// 2 disconnect the string.
        case disconnect = 2
    }
}
