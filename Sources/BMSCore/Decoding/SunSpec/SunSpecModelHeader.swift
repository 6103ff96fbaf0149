/// One model in a SunSpec model chain: its ID, its length and where its ID register is.
public struct SunSpecModelHeader: Sendable, Hashable, CustomStringConvertible {
    /// The model ID (1 Common, 802 Battery Base, 805 Lithium-Ion Module, …).
    public var id: UInt16
    /// The body length `L`, in registers, excluding the ID and `L` registers.
    public var length: Int
    /// Absolute 0-based protocol address of the model's ID register.
    public var address: Int

    /// A header as read from the device.
    public init(id: UInt16, length: Int, address: Int) {
        self.id = id
        self.length = length
        self.address = address
    }

    /// Registers the whole model occupies: ID, `L` and the body.
    public var registerCount: Int { length + 2 }

    /// Absolute address of a point at `offset` from the ID register (for writes such as 802 `SetOp`).
    public func absoluteAddress(ofOffset offset: Int) -> Int { address + offset }

    /// "model 802 at 40070 (L 62)".
    public var description: String { "model \(id) at \(address) (L \(length))" }
}
