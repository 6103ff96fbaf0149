extension RegisterMap {
    /// The reads that cover every point: per table, points sorted by address and merged into one block while
    /// the registers between them number at most `maximumGap` and the block stays within
    /// `maximumRegisterCount` (capped at the Modbus limit of 125).
    ///
    /// Holding blocks come first, then input blocks, each in address order. Points outside 0...65535 are left
    /// out (`validate()` reports them).
    public func readPlan(
        maximumGap: Int = 8, maximumRegisterCount: Int = RegisterBlock.maximumRegisterCount
    ) -> [RegisterBlock] {
        // A 32-bit point needs 2 registers, so no block limit may go below that.
        let limit = min(max(maximumRegisterCount, 2), RegisterBlock.maximumRegisterCount)
        let gap = max(0, maximumGap)
        var blocks: [RegisterBlock] = []
        for table in RegisterPoint.Table.allCases {
            let spans = points.filter { $0.table == table && $0.isAddressable }
                .map { point in (start: point.address, end: point.address + point.registerCount) }
                .sorted { ($0.start, $0.end) < ($1.start, $1.end) }
            var pending: (start: Int, end: Int)?
            for span in spans {
                if let current = pending, span.start - current.end <= gap,
                    max(current.end, span.end) - current.start <= limit
                {
                    pending = (start: current.start, end: max(current.end, span.end))
                } else {
                    if let current = pending { blocks.append(Self.block(table, current)) }
                    pending = span
                }
            }
            if let current = pending { blocks.append(Self.block(table, current)) }
        }
        return blocks
    }

    private static func block(_ table: RegisterPoint.Table, _ span: (start: Int, end: Int)) -> RegisterBlock {
        RegisterBlock(table: table, address: span.start, count: span.end - span.start)
    }

    /// The physical value of every point whose registers were read.
    ///
    /// - Parameter blocks: The registers read for each block (normally those of `readPlan()`). A missing
    ///   block, or a short read, leaves its points out; it never traps.
    /// - Returns: One value per field. If two points feed one field (which `validate()` refuses), the first
    ///   with a value wins. NaN and infinite results are left out.
    public func decode(blocks: [RegisterBlock: [UInt16]]) -> [SnapshotField: Double] {
        let ordered = blocks.keys.sorted {
            ($0.table.rawValue, $0.address, $0.count) < ($1.table.rawValue, $1.address, $1.count)
        }
        var values: [SnapshotField: Double] = [:]
        for point in points where point.isAddressable && values[point.field] == nil {
            for block in ordered where block.contains(point) {
                guard let registers = blocks[block],
                    let value = point.value(in: registers, blockAddress: block.address)
                else { continue }
                values[point.field] = value
                break
            }
        }
        return values
    }
}
