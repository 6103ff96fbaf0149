/// One value in a register map: where it is, how it is encoded and what it feeds.
///
/// Physical value = raw × `scale` + `offset`. YAML keys are snake_case; `word_order` (default `big`), `scale`
/// (default 1), `offset` (default 0) and `unit` may be left out. Unknown keys are refused so that a misspelt
/// `scale` cannot silently fall back to 1.
public struct RegisterPoint: Codable, Sendable, Equatable {
    /// 0-based Modbus protocol address of the point's first register.
    public var address: Int
    /// The table the point is read from (FC3 holding or FC4 input registers).
    public var table: Table
    /// How the registers encode the raw value.
    public var type: ValueType
    /// Which register of a 32-bit value comes first; ignored for 16-bit types. Absent in YAML means `big`.
    public var wordOrder: WordOrder
    /// Multiplier from the raw value to the physical value.
    public var scale: Double
    /// Added after scaling.
    public var offset: Double
    /// The physical unit, for people reading the map (decoding does not use it).
    public var unit: String?
    /// What the value feeds.
    public var field: SnapshotField

    /// A point; defaults as in YAML.
    public init(
        address: Int, table: Table = .holding, type: ValueType, wordOrder: WordOrder = .big, scale: Double = 1,
        offset: Double = 0, unit: String? = nil, field: SnapshotField
    ) {
        self.address = address
        self.table = table
        self.type = type
        self.wordOrder = wordOrder
        self.scale = scale
        self.offset = offset
        self.unit = unit
        self.field = field
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case address, table, type
        case wordOrder = "word_order"
        case scale, offset, unit, field
    }

    /// Reads a point, applying the defaults and refusing unknown keys.
    public init(from decoder: any Decoder) throws {
        try RegisterMap.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        address = try container.decode(Int.self, forKey: .address)
        table = try container.decode(Table.self, forKey: .table)
        type = try container.decode(ValueType.self, forKey: .type)
        wordOrder = try container.decodeIfPresent(WordOrder.self, forKey: .wordOrder) ?? .big
        scale = try container.decodeIfPresent(Double.self, forKey: .scale) ?? 1
        offset = try container.decodeIfPresent(Double.self, forKey: .offset) ?? 0
        unit = try container.decodeIfPresent(String.self, forKey: .unit)
        field = try container.decode(SnapshotField.self, forKey: .field)
    }

    /// Registers the point occupies: 1 or 2.
    public var registerCount: Int { type.registerCount }

    /// Whether every register of the point lies in 0...65535 (written so that no address can overflow).
    var isAddressable: Bool { address >= 0 && address <= 0x1_0000 - registerCount }

    // MARK: - Decoding

    /// The raw value of the point's registers, in address order (`words[0]` at `address`).
    ///
    /// - Returns: `nil` when `words` holds fewer than `registerCount` registers.
    public func rawValue(words: [UInt16]) -> Double? {
        guard words.count >= registerCount else { return nil }
        switch type {
        case .int16: return Double(Int16(bitPattern: words[0]))
        case .uint16: return Double(words[0])
        case .int32, .uint32, .float32:
            let (high, low) = wordOrder == .big ? (words[0], words[1]) : (words[1], words[0])
            let bits = UInt32(high) << 16 | UInt32(low)
            switch type {
            case .int32: return Double(Int32(bitPattern: bits))
            case .float32: return Double(Float(bitPattern: bits))
            default: return Double(bits)
            }
        }
    }

    /// raw × `scale` + `offset`, or `nil` when `words` is too short or the result is not finite (a NaN or
    /// infinite float32).
    public func physicalValue(words: [UInt16]) -> Double? {
        guard let raw = rawValue(words: words) else { return nil }
        let value = raw * scale + offset
        return value.isFinite ? value : nil
    }

    /// The physical value read out of a block of registers that starts at `blockAddress`, or `nil` when the
    /// block does not hold all of the point's registers.
    public func value(in registers: [UInt16], blockAddress: Int) -> Double? {
        guard isAddressable, (0...0xFFFF).contains(blockAddress) else { return nil }
        let index = address - blockAddress
        guard index >= 0, index + registerCount <= registers.count else { return nil }
        return physicalValue(words: Array(registers[index..<(index + registerCount)]))
    }
}
