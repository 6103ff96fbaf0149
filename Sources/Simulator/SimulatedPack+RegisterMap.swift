import BMSCore

/// The pack as a vendor device described by a register map: holding and input registers from address 0.
extension SimulatedPack {
    /// The physical value a map field reads from this pack, or nil for fields the simulator does not model.
    func value(of field: SnapshotField) -> Double? {
        let cells = cellVoltages
        let temperatures = model.cellTemperatures()
        switch field {
        case .packVoltage: return model.terminalVoltage(current: current)
        case .packCurrent: return current
        case .packPower: return model.power(current: current)
        case .packTemperature: return model.temperatureCelsius
        case .soc: return model.soc * 100
        case .soh: return model.stateOfHealth * 100
        case .cellVoltage(let number): return cells.indices.contains(number - 1) ? cells[number - 1] : nil
        case .cellTemperature(let number):
            guard temperatures.indices.contains(number - 1), !faults.droppedSensors.contains(number - 1) else { return nil }
            return temperatures[number - 1]
        case .cellVoltageMin: return cells.min()
        case .cellVoltageMax: return cells.max()
        case .cellTemperatureMin: return connectedSensors(temperatures).min()
        case .cellTemperatureMax: return connectedSensors(temperatures).max()
        case .balancing: return 0
        case .alarmFlags, .operationalState: return 0
        case .remainingCapacity: return model.soc * capacityAmpHours
        case .maxChargeCurrent: return capacityAmpHours
        case .maxDischargeCurrent: return capacityAmpHours * 2
        }
    }

    /// The temperatures of the sensors that are not dropped by a fault.
    private func connectedSensors(_ temperatures: [Double]) -> [Double] {
        temperatures.enumerated().filter { !faults.droppedSensors.contains($0.offset) }.map(\.element)
    }

    /// Holding and input register images from address 0.
    func registerImages(map: RegisterMap) -> (holding: [UInt16], input: [UInt16]) {
        func end(_ table: RegisterPoint.Table) -> Int {
            map.points.filter { $0.table == table }.map { $0.address + $0.registerCount }.max() ?? 0
        }
        let commandEnd = (map.commands?.values.map { $0.address + 1 }.max()) ?? 0
        var holding = [UInt16](repeating: 0, count: max(end(.holding), commandEnd))
        var input = [UInt16](repeating: 0, count: end(.input))
        for point in map.points {
            // A dropped sensor reads as the type's largest value, as many vendor packs show a missing probe.
            let words = value(of: point.field).flatMap(point.words(forPhysical:))
                ?? [UInt16](repeating: 0xFFFF, count: point.registerCount)
            for (offset, word) in words.enumerated() {
                if point.table == .holding { holding[point.address + offset] = word } else { input[point.address + offset] = word }
            }
        }
        if let commands = map.commands {
            if let write = commands["open_contactors"] { holding[write.address] = contactorsClosed ? 0 : write.value }
            if let write = commands["stop_power"] { holding[write.address] = inverterStarted ? 0 : write.value }
        }
        return (holding, input)
    }

    /// Applies a holding register the agent wrote on a register-map pack.
    mutating func apply(write value: UInt16, at address: Int, map: RegisterMap) -> String? {
        guard let command = map.commands?.first(where: { $0.value.address == address && $0.value.value == value })?.key else {
            return nil
        }
        switch command {
        case "open_contactors": contactorsClosed = false
        case "stop_power": inverterStarted = false
        case "reset_alarms": alarmResets += 1
        case "start":
            contactorsClosed = true
            inverterStarted = true
        default: return nil
        }
        return command
    }
}
