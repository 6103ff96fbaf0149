extension PackModel {
    // MARK: - Voltages and power

    /// Voltage at the pack terminals while `current` flows (A, > 0 discharging), V:
    /// OCV(soc) × series − U1 − I·R0, all pack values.
    public func terminalVoltage(current: Double) -> Double {
        electromotiveVolts - current * packSeriesResistanceOhms
    }

    /// Power at the pack terminals while `current` flows, W (> 0 discharging): terminal voltage × current.
    public func power(current: Double) -> Double {
        terminalVoltage(current: current) * current
    }

    /// Voltage of each series element (a parallel group measures as one cell) while `current` flows, V;
    /// index 0 is cell 1.
    ///
    /// Each is the cell OCV at `soc` plus its offset (clamped to the table), minus its share of the pack's
    /// drops: (U1 + I·R0) / series.
    public func cellVoltages(current: Double) -> [Double] {
        let drop = (polarisationVolts + current * packSeriesResistanceOhms) / Double(seriesCells)
        return (0..<seriesCells).map { index in
            let offset = cellSoCOffsets.indices.contains(index) ? cellSoCOffsets[index] : 0
            return cell.openCircuitVoltage.voltage(soc: soc + offset) - drop
        }
    }

    /// Temperature of each series element, °C: the pack temperature plus its offset; index 0 is cell 1.
    public func cellTemperatures() -> [Double] {
        (0..<seriesCells).map { index in
            let offset =
                cellTemperatureOffsetsKelvin.indices.contains(index) ? cellTemperatureOffsetsKelvin[index] : 0
            return temperatureCelsius + offset
        }
    }

    // MARK: - Power setpoints

    /// The current that makes the pack deliver `watts` at its terminals (> 0 discharging, < 0 charging), A;
    /// used to follow a power setpoint.
    ///
    /// With E = OCV × series − U1 and R = pack R0, the terminal power is (E − I·R)·I = P, a quadratic in I.
    /// Of its two roots this returns the physical one, the smaller in magnitude (the other lies past the
    /// maximum-power point). A discharge power above the maximum E² / 4R has no real root; the current at
    /// maximum power, E / 2R, is returned instead. Charge powers always have a root. A non-finite `watts` or
    /// a pack without electromotive force (E ≤ 0) gives 0.
    ///
    /// This reads the state only, so it is not `mutating`.
    public func current(forPower watts: Double) -> Double {
        let emf = electromotiveVolts
        let resistance = packSeriesResistanceOhms
        guard watts.isFinite, emf > 0 else { return 0 }
        let discriminant = emf * emf - 4 * resistance * watts
        // Only reachable with watts > 0 and resistance > 0, so this is positive, like watts.
        guard discriminant >= 0 else { return emf / (2 * resistance) }
        // (E − √D) / 2R rewritten so that it stays accurate, and defined, as R → 0 (then I = P / E).
        return 2 * watts / (emf + discriminant.squareRoot())
    }

    /// Highest power the pack can deliver at its terminals in its present state, W: E² / 4R, infinite
    /// without series resistance.
    public var maximumDischargePowerWatts: Double {
        let emf = electromotiveVolts
        guard emf > 0 else { return 0 }
        let resistance = packSeriesResistanceOhms
        return resistance > 0 ? emf * emf / (4 * resistance) : .infinity
    }

    /// E = OCV × series − U1, the voltage behind the pack's series resistance, V.
    private var electromotiveVolts: Double {
        packOpenCircuitVolts - polarisationVolts
    }
}
