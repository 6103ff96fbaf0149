/// One `SG_` line of a DBC file, with what `VAL_`, `SIG_VALTYPE_` and `SG_MUL_VAL_` add to it.
///
/// Bits are numbered 8 × byte + bit-in-byte. Intel (`@1`, little-endian) signals start at their least
/// significant bit and run upwards; Motorola (`@0`, big-endian) signals start at their most significant bit,
/// run down to bit 0 of that byte and continue at bit 7 of the next. Physical value = raw × factor + offset.
public struct DBCSignal: Sendable, Equatable {
    /// Byte order (`@1` / `@0`).
    public enum ByteOrder: Sendable, Hashable {
        /// `@1`: Intel, little-endian; the start bit is the least significant bit.
        case littleEndian
        /// `@0`: Motorola, big-endian; the start bit is the most significant bit.
        case bigEndian
    }

    /// How the raw bits are read (`SIG_VALTYPE_`).
    public enum ValueType: Sendable, Hashable {
        /// An integer (signed when `isSigned`).
        case integer
        /// `SIG_VALTYPE_ … : 1`: IEEE 754 single precision (32 bits).
        case float32
        /// `SIG_VALTYPE_ … : 2`: IEEE 754 double precision (64 bits).
        case float64
    }

    /// The signal's name, unique in its message.
    public var name: String
    /// The start bit (see the type's description).
    public var startBit: Int
    /// Length in bits, 1–64.
    public var length: Int
    /// `@1` Intel or `@0` Motorola.
    public var byteOrder: ByteOrder
    /// `-`: two's-complement signed.
    public var isSigned: Bool
    /// Integer or IEEE float.
    public var valueType: ValueType
    /// Multiplier from raw to physical.
    public var factor: Double
    /// Added after the factor.
    public var offset: Double
    /// The declared minimum physical value (`[min|max]`; both 0 means none).
    public var minimum: Double
    /// The declared maximum physical value.
    public var maximum: Double
    /// The unit text (may be empty).
    public var unit: String
    /// Receiving nodes.
    public var receivers: [String]
    /// `M` or `mNM`: this signal selects which multiplexed signals a frame carries.
    public var isMultiplexer: Bool
    /// The `N` of an `mN` / `mNM` marker.
    public var multiplexerSwitchValue: UInt64?
    /// The multiplexer this signal depends on (resolved from the marker and `SG_MUL_VAL_`); `nil` for a signal
    /// present in every frame of its message.
    public var multiplexerName: String?
    /// The multiplexer values for which this signal is present.
    public var multiplexerValues: [ClosedRange<UInt64>]
    /// `VAL_` labels by raw value.
    ///
    /// Keys are the raw integers; a 64-bit unsigned raw value above `Int64.max` is looked up by its bit pattern.
    public var valueLabels: [Int64: String]
    /// The `SG_` line in the DBC file.
    public var line: Int

    /// A signal (multiplexing and labels as a parser resolves them).
    public init(
        name: String, startBit: Int, length: Int, byteOrder: ByteOrder, isSigned: Bool, valueType: ValueType = .integer,
        factor: Double = 1, offset: Double = 0, minimum: Double = 0, maximum: Double = 0, unit: String = "",
        receivers: [String] = [], isMultiplexer: Bool = false, multiplexerSwitchValue: UInt64? = nil,
        multiplexerName: String? = nil, multiplexerValues: [ClosedRange<UInt64>] = [], valueLabels: [Int64: String] = [:],
        line: Int = 0
    ) {
        self.name = name
        self.startBit = startBit
        self.length = length
        self.byteOrder = byteOrder
        self.isSigned = isSigned
        self.valueType = valueType
        self.factor = factor
        self.offset = offset
        self.minimum = minimum
        self.maximum = maximum
        self.unit = unit
        self.receivers = receivers
        self.isMultiplexer = isMultiplexer
        self.multiplexerSwitchValue = multiplexerSwitchValue
        self.multiplexerName = multiplexerName
        self.multiplexerValues = multiplexerValues
        self.valueLabels = valueLabels
        self.line = line
    }

    /// Whether the signal is present when its multiplexer has value `value`.
    public func isSelected(byMultiplexerValue value: UInt64) -> Bool {
        multiplexerValues.contains { $0.contains(value) }
    }

    // MARK: - Bits

    /// The position of the start bit counted from the most significant bit of byte 0 (Motorola), or the start
    /// bit itself (Intel).
    var sequentialStart: Int {
        switch byteOrder {
        case .littleEndian: startBit
        case .bigEndian: 8 * (startBit / 8) + 7 - startBit % 8
        }
    }

    /// How many bytes a payload needs to hold the signal.
    public var bytesNeeded: Int { (sequentialStart + length - 1) / 8 + 1 }

    /// The signal's bits from `data`, right-aligned; `data` must hold `bytesNeeded` bytes.
    func bits(in data: [UInt8]) -> UInt64 {
        var raw: UInt64 = 0
        switch byteOrder {
        case .littleEndian:
            for index in 0..<length {
                let position = startBit + index
                raw |= UInt64((data[position / 8] >> UInt8(position % 8)) & 1) << UInt64(index)
            }
        case .bigEndian:
            let start = sequentialStart
            for index in 0..<length {
                let position = start + index
                raw = raw << 1 | UInt64((data[position / 8] >> UInt8(7 - position % 8)) & 1)
            }
        }
        return raw
    }

    /// Writes the low `length` bits of `raw` into `data` (which holds `bytesNeeded` bytes).
    func insert(_ raw: UInt64, into data: inout [UInt8]) {
        switch byteOrder {
        case .littleEndian:
            for index in 0..<length {
                let position = startBit + index
                let bit = UInt8((raw >> UInt64(index)) & 1)
                data[position / 8] = data[position / 8] & ~(1 << UInt8(position % 8)) | bit << UInt8(position % 8)
            }
        case .bigEndian:
            let start = sequentialStart
            for index in 0..<length {
                let position = start + index
                let bit = UInt8((raw >> UInt64(length - 1 - index)) & 1)
                let shift = UInt8(7 - position % 8)
                data[position / 8] = data[position / 8] & ~(1 << shift) | bit << shift
            }
        }
    }

    /// The raw value in `data` (which holds `bytesNeeded` bytes).
    func rawValue(in data: [UInt8]) -> DBCRawValue {
        let bits = self.bits(in: data)
        switch valueType {
        case .float32: return .float(Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))))
        case .float64: return .float(Double(bitPattern: bits))
        case .integer:
            guard isSigned else { return .unsigned(bits) }
            guard length < 64 else { return .signed(Int64(bitPattern: bits)) }
            let signBit: UInt64 = 1 << UInt64(length - 1)
            let extended = bits & signBit != 0 ? bits | ~(signBit << 1 &- 1) : bits
            return .signed(Int64(bitPattern: extended))
        }
    }

    /// raw × factor + offset.
    func physicalValue(of raw: DBCRawValue) -> Double {
        raw.doubleValue * factor + offset
    }

    /// The `VAL_` label of a raw value, if any (integral values only).
    func label(of raw: DBCRawValue) -> String? {
        guard !valueLabels.isEmpty, let key = raw.labelKey else { return nil }
        return valueLabels[key]
    }
}

/// A raw signal value, exactly as carried in the frame.
public enum DBCRawValue: Sendable, Hashable, CustomStringConvertible {
    /// An unsigned integer signal.
    case unsigned(UInt64)
    /// A signed (`-`) integer signal.
    case signed(Int64)
    /// A `SIG_VALTYPE_` float or double signal.
    case float(Double)

    /// The value as a `Double` (rounded above 2^53).
    public var doubleValue: Double {
        switch self {
        case .unsigned(let value): Double(value)
        case .signed(let value): Double(value)
        case .float(let value): value
        }
    }

    /// The key of `DBCSignal.valueLabels` for this value, or `nil` for a non-integral float.
    var labelKey: Int64? {
        switch self {
        case .unsigned(let value): Int64(bitPattern: value)
        case .signed(let value): value
        case .float(let value): value.isFinite ? Int64(exactly: value) : nil
        }
    }

    /// The value as a multiplexer switch value, or `nil` when negative or not integral.
    var multiplexerValue: UInt64? {
        switch self {
        case .unsigned(let value): value
        case .signed(let value): value >= 0 ? UInt64(value) : nil
        case .float(let value): value.isFinite ? UInt64(exactly: value) : nil
        }
    }

    /// The value in decimal.
    public var description: String {
        switch self {
        case .unsigned(let value): String(value)
        case .signed(let value): String(value)
        case .float(let value): String(value)
        }
    }
}
