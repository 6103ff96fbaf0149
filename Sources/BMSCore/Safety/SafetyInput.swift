/// The quantities the safety rules watch, taken from the fresh values of a snapshot.
///
/// A quantity whose inputs are all stale is absent: its rules hold their state (neither trip nor release),
/// and loss of communication is judged by its own rule from `secondsSinceLastRead`.
///
/// Cell voltages and temperatures come from the snapshot's per-cell arrays, naming the cell. When an array
/// has no fresh value they come from the extremes the pack reports instead (`PackSnapshot.cellVoltageMin`,
/// …), with no cell number, since such packs do not say which cell it is. Where a pack has both, the
/// per-cell arrays win and the extremes are ignored.
public struct SafetyInput: Sendable, Equatable {
    public struct Value: Sendable, Equatable {
        public var value: Double
        /// The 1-based cell or sensor number the value comes from, if any.
        public var cellNumber: Int?

        public init(_ value: Double, cellNumber: Int? = nil) {
            self.value = value
            self.cellNumber = cellNumber
        }
    }

    public var values: [SafetyQuantity: Value]

    public init(values: [SafetyQuantity: Value]) {
        self.values = values
    }

    public subscript(quantity: SafetyQuantity) -> Value? { values[quantity] }

    /// The quantities of a snapshot.
    public init(_ snapshot: PackSnapshot) {
        var values: [SafetyQuantity: Value] = [:]
        values[.secondsSinceLastRead] = Value(snapshot.secondsSinceLastRead)

        let cells = snapshot.cellVoltages.enumerated().compactMap { index, reading in
            reading.freshValue.map { (value: $0, cell: index + 1) }
        }
        if let highest = cells.max(by: { $0.value < $1.value }), let lowest = cells.min(by: { $0.value < $1.value }) {
            values[.maxCellVoltage] = Value(highest.value, cellNumber: highest.cell)
            values[.minCellVoltage] = Value(lowest.value, cellNumber: lowest.cell)
            if cells.count >= 2 { values[.cellVoltageSpread] = Value(highest.value - lowest.value, cellNumber: highest.cell) }
        } else {
            let highest = snapshot.cellVoltageMax?.freshValue
            let lowest = snapshot.cellVoltageMin?.freshValue
            if let highest { values[.maxCellVoltage] = Value(highest) }
            if let lowest { values[.minCellVoltage] = Value(lowest) }
            if let highest, let lowest { values[.cellVoltageSpread] = Value(highest - lowest) }
        }

        var temperatures = snapshot.cellTemperatures.enumerated().compactMap { index, reading in
            reading.freshValue.map { (value: $0, cell: Optional(index + 1)) }
        }
        if temperatures.isEmpty {
            // The coldest and hottest cells count like two sensors whose numbers are unknown.
            temperatures = [snapshot.cellTemperatureMin, snapshot.cellTemperatureMax].compactMap {
                reading -> (value: Double, cell: Int?)? in reading?.freshValue.map { (value: $0, cell: nil) }
            }
        }
        if let pack = snapshot.temperature?.freshValue { temperatures.append((value: pack, cell: nil)) }
        if let hottest = temperatures.max(by: { $0.value < $1.value }),
            let coldest = temperatures.min(by: { $0.value < $1.value })
        {
            values[.maxTemperature] = Value(hottest.value, cellNumber: hottest.cell)
            values[.minTemperature] = Value(coldest.value, cellNumber: coldest.cell)
            if temperatures.count >= 2 {
                values[.temperatureSpread] = Value(hottest.value - coldest.value, cellNumber: hottest.cell)
            }
        }

        if let current = snapshot.current?.freshValue {
            values[.chargeCurrent] = Value(max(0, -current))
            values[.dischargeCurrent] = Value(max(0, current))
        }
        if let soc = snapshot.soc?.freshValue { values[.soc] = Value(soc) }
        self.values = values
    }
}
