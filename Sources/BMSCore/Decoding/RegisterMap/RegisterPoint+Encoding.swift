/// Turning a physical value back into registers: the inverse of `physicalValue(words:)`, for simulators and
/// test fixtures.
extension RegisterPoint {
    /// The registers holding `physical` (clamped to the type's range, rounded for integer types), or `nil` for
    /// a non-finite value.
    public func words(forPhysical physical: Double) -> [UInt16]? {
        guard physical.isFinite, scale != 0 else { return nil }
        let raw = (physical - offset) / scale
        let bits: UInt32
        switch type {
        case .int16:
            return [UInt16(bitPattern: Int16(max(Double(Int16.min), min(Double(Int16.max), raw.rounded()))))]
        case .uint16:
            return [UInt16(max(0, min(Double(UInt16.max), raw.rounded())))]
        case .int32:
            bits = UInt32(bitPattern: Int32(max(Double(Int32.min), min(Double(Int32.max), raw.rounded()))))
        case .uint32:
            bits = UInt32(max(0, min(Double(UInt32.max), raw.rounded())))
        case .float32:
            bits = Float(raw).bitPattern
        }
        let high = UInt16(bits >> 16)
        let low = UInt16(bits & 0xFFFF)
        return wordOrder == .big ? [high, low] : [low, high]
    }
}

/// A register write that carries out a local command on a register-map pack.
public struct RegisterWrite: Codable, Sendable, Equatable {
    /// Holding register address, 0-based.
    public var address: Int
    public var value: UInt16

    public init(address: Int, value: UInt16) {
        self.address = address
        self.value = value
    }
}
