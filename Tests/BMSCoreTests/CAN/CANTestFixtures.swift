@testable import BMSCore

/// DBC texts shared by the CAN tests.
enum CANTestFixtures {
    /// The test DBC of protocols.md §3, exactly as written there.
    static let section3DBC = """
        BO_ 854 BattStatus: 6 BMS
         SG_ PackVoltage : 0|16@1- (0.01,0) [-327.68|327.67] "V" INV
         SG_ PackCurrent : 16|16@1- (0.1,0) [-3276.8|3276.7] "A" INV
         SG_ PackTemp : 32|16@1- (0.1,0) [-3276.8|3276.7] "degC" INV
        BO_ 512 MotoExample: 8 BMS
         SG_ BigU16 : 7|16@0+ (0.1,0) [0|6553.5] "V" INV
         SG_ Odd12 : 19|12@0- (1,-100) [-2148|1947] "" INV
         SG_ Flag : 40|1@1+ (1,0) [0|1] "" INV
         SG_ State : 44|4@1+ (1,0) [0|15] "" INV
        BO_ 2147484416 MuxExample: 8 BMS
         SG_ Page M : 0|8@1+ (1,0) [0|255] "" INV
         SG_ CellV1 m0 : 8|16@1+ (0.001,0) [0|65.535] "V" INV
         SG_ CellV2 m0 : 24|16@1+ (0.001,0) [0|65.535] "V" INV
         SG_ CellT1 m1 : 8|8@1- (1,40) [-88|167] "degC" INV
        VAL_ 512 State 0 "Off" 1 "Standby" 2 "Charging" 3 "Discharging" 15 "Fault" ;
        """

    /// A realistic file: header sections, an NS_ block, comments spanning lines, attributes, value tables,
    /// a float signal and nested multiplexing, all of which the parser must get through.
    static let realisticDBC = """
        VERSION "1.2.3"


        NS_ :
        \tNS_DESC_
        \tCM_
        \tBA_DEF_
        \tBA_
        \tVAL_
        \tCAT_DEF_
        \tBA_DEF_DEF_
        \tVAL_TABLE_
        \tSIG_GROUP_
        \tSIG_VALTYPE_
        \tBO_TX_BU_
        \tSG_MUL_VAL_

        BS_:

        BU_: BMS INV CHARGER

        VAL_TABLE_ OnOff 1 "On" 0 "Off" ;

        BO_ 849 Limits: 8 BMS
         SG_ ChargeVoltageLimit : 0|16@1+ (0.1,0) [0|6553.5] "V" INV,CHARGER
         SG_ ChargeCurrentLimit : 16|16@1- (0.1,0) [-3276.8|3276.7] "A" INV,CHARGER
         SG_ DischargeCurrentLimit : 32|16@1- (0.1,0) [-3276.8|3276.7] "A" INV
         SG_ DischargeVoltageLimit : 48|16@1+ (0.1,0) [0|6553.5] "V" INV

        BO_ 854 Measurements: 8 BMS
         SG_ PackVoltage : 0|16@1- (0.01,0) [-327.68|327.67] "V" INV
         SG_ PackCurrent : 16|16@1- (0.1,0) [-3276.8|3276.7] "A" INV
         SG_ PackTemp : 32|16@1- (0.1,0) [-3276.8|3276.7] "degC" INV
         SG_ OverTemp : 48|1@1+ (1,0) [0|1] "" INV

        BO_ 855 Power: 4 BMS
         SG_ PowerFloat : 0|32@1- (1,0) [0|0] "W" Vector__XXX

        BO_ 2566834689 CellPages: 8 BMS
         SG_ Page M : 0|8@1+ (1,0) [0|255] "" INV
         SG_ Kind m0M : 8|8@1+ (1,0) [0|255] "" INV
         SG_ CellVoltageA m0 : 16|16@1+ (0.001,0) [0|65.535] "V" INV
         SG_ CellTempA m1 : 16|8@1- (1,0) [-128|127] "degC" INV

        BO_TX_BU_ 849 : BMS,CHARGER;

        CM_ "Database for a 16S pack;
        second line of the comment";
        CM_ BO_ 854 "Pack measurements.
        BO_ 9 NotAMessage: 8 X
        This text is inside a comment string.";
        CM_ SG_ 854 PackCurrent "Positive while charging.";
        BA_DEF_ BO_ "GenMsgCycleTime" INT 0 65535;
        BA_DEF_DEF_ "GenMsgCycleTime" 1000;
        BA_ "GenMsgCycleTime" BO_ 854 1000;
        EV_ EnvVar1: 0 [0|100] "" 0 1 DUMMY_NODE_VECTOR0 Vector__XXX;
        SIG_GROUP_ 854 PackGroup 1 : PackVoltage PackCurrent;
        VAL_ 854 OverTemp 0 "Normal" 1 "Over temperature" ;
        VAL_ 2566834689 Kind 0 "Voltages" 1 "Temperatures" ;
        SIG_VALTYPE_ 855 PowerFloat : 1;
        SG_MUL_VAL_ 2566834689 Kind Page 0-0;
        SG_MUL_VAL_ 2566834689 CellVoltageA Kind 0-0;
        SG_MUL_VAL_ 2566834689 CellTempA Kind 1-1;
        """

    static func database(_ text: String) throws -> DBCDatabase {
        try DBCDatabase(parsing: text)
    }

    /// Bytes from hex text.
    static func bytes(_ hex: String) -> [UInt8] {
        CANHex.bytes(Array(hex.utf8)) ?? []
    }

    /// `|a − b| ≤ 1e-9 · max(1, |b|)`.
    static func close(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return abs(a - b) <= 1e-9 * max(1, abs(b))
    }
}
