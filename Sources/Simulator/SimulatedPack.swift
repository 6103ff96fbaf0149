import BMSCore

/// One simulated pack: the physical model, what the agent asked of it, and the injected faults.
///
/// Sign convention (documented for the agent): SunSpec A and W are positive while discharging.
struct SimulatedPack {
    let unitID: Int
    let chemistry: Chemistry
    let cellCount: Int
    let capacityAmpHours: Double
    var model: PackModel
    /// Current the pack's inverter is asked for, A (> 0 discharge).
    var requestedCurrent: Double = 0
    /// The last power setpoint written to ReqW, W.
    var requestedPowerWatts: Double = 0
    var contactorsClosed = true
    var inverterStarted = true
    var alarmResets = 0
    var heartbeat: UInt16 = 0
    var faults = Faults()
    /// `nil` for a SunSpec pack; the map for a register-map pack.
    var registerMap: RegisterMap?

    struct Faults: Equatable {
        /// Extra heating, K/s.
        var temperatureRampKelvinPerSecond = 0.0
        /// Extra volts on single cells, by 0-based cell index.
        var cellVoltageOffsets: [Int: Double] = [:]
        /// Temperature sensors that read "not implemented".
        var droppedSensors: Set<Int> = []
        /// The unit does not answer at all.
        var silent = false
        /// The unit answers every request with this Modbus exception.
        var exceptionCode: UInt32?
    }

    init(unitID: Int, chemistry: Chemistry, cellCount: Int, capacityAmpHours: Double, soc: Double) throws {
        self.unitID = unitID
        self.chemistry = chemistry
        self.cellCount = cellCount
        self.capacityAmpHours = capacityAmpHours
        let cell = try EquivalentCircuitCell.defaults(for: chemistry).resized(toCapacityAmpHours: capacityAmpHours)
        // A rack-sized pack: 1 kJ/K per cell, 0.5 W/K per cell to the room.
        let thermal = try LumpedThermalModel(
            thermalMassJoulesPerKelvin: 1000 * Double(cellCount), heatTransferWattsPerKelvin: 0.5 * Double(cellCount))
        // A little spread so that min/max cells differ, as in real packs.
        let offsets = (0..<cellCount).map { Double(($0 * 7) % 5 - 2) * 0.002 }
        let temperatureOffsets = (0..<cellCount).map { Double(($0 * 3) % 4) * 0.3 }
        model = try PackModel(
            cell: cell, seriesCells: cellCount, parallelCells: 1, thermal: thermal, soc: soc,
            cellSoCOffsets: offsets, cellTemperatureOffsetsKelvin: temperatureOffsets)
    }

    /// The current actually flowing: none while the contactors are open or the inverter is stopped.
    var current: Double { contactorsClosed && inverterStarted ? requestedCurrent : 0 }

    mutating func advance(seconds: Double) {
        model.step(current: current, duration: .milliseconds(Int64(seconds * 1000)))
        model.temperatureCelsius += faults.temperatureRampKelvinPerSecond * seconds
        heartbeat &+= 1
    }

    var cellVoltages: [Double] {
        model.cellVoltages(current: current).enumerated().map { index, volts in volts + (faults.cellVoltageOffsets[index] ?? 0) }
    }
}
