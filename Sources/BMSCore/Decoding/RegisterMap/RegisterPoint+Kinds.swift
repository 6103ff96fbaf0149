extension RegisterPoint {
    /// The Modbus table a point is read from.
    public enum Table: String, WireEnum {
        /// Holding registers, read with function code 3.
        case holding
        /// Input registers, read with function code 4.
        case input

        /// The Modbus read function code: 3 or 4.
        public var functionCode: UInt8 {
            switch self {
            case .holding: 3
            case .input: 4
            }
        }
    }

    /// How a point's registers encode its raw value. Registers are big-endian (high byte first).
    public enum ValueType: String, WireEnum {
        /// Signed 16-bit, two's complement.
        case int16
        /// Unsigned 16-bit.
        case uint16
        /// Signed 32-bit over two registers.
        case int32
        /// Unsigned 32-bit over two registers.
        case uint32
        /// IEEE 754 single precision over two registers.
        case float32

        /// Registers the type occupies.
        public var registerCount: Int {
            switch self {
            case .int16, .uint16: 1
            case .int32, .uint32, .float32: 2
            }
        }
    }

    /// Which register of a 32-bit value comes first.
    public enum WordOrder: String, WireEnum {
        /// High word at the lower address (Modbus convention, "ABCD").
        case big
        /// Low word at the lower address ("CDAB", common on vendor packs).
        case little
    }
}
