/// A contiguous run of registers the agent reads in one Modbus request.
public struct RegisterBlock: Sendable, Hashable, CustomStringConvertible {
    /// The most registers one FC3/FC4 read may return.
    public static let maximumRegisterCount = 125

    /// The table to read (FC3 holding, FC4 input).
    public var table: RegisterPoint.Table
    /// 0-based address of the first register.
    public var address: Int
    /// Number of registers, 1...125.
    public var count: Int

    /// A block of `count` registers from `address`.
    public init(table: RegisterPoint.Table, address: Int, count: Int) {
        self.table = table
        self.address = address
        self.count = count
    }

    /// Whether every register of `point` is in the block (false for any point or block outside 0...65535).
    public func contains(_ point: RegisterPoint) -> Bool {
        guard point.table == table, point.isAddressable, (0...0xFFFF).contains(address), count >= 0 else {
            return false
        }
        let offset = point.address - address
        return offset >= 0 && offset <= count - point.registerCount
    }

    /// "holding 0+16".
    public var description: String { "\(table.rawValue) \(address)+\(count)" }
}
