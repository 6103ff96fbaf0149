import Foundation

/// The control port's commands, one per line:
///
/// ```
/// fault UNIT over_temperature KELVIN_PER_SECOND
/// fault UNIT cell_over_voltage CELL VOLTS        (CELL is 1-based; VOLTS are added to that cell)
/// fault UNIT sensor_dropout SENSOR               (SENSOR is 1-based)
/// fault UNIT silent
/// fault UNIT exception CODE
/// clear UNIT                                     (removes every fault)
/// current UNIT AMPS                              (> 0 discharges)
/// temperature UNIT CELSIUS
/// status UNIT                                    (one JSON line)
/// ```
enum SimulatorControl {
    static func handle(_ line: String, packs: inout [Int: SimulatedPack]) -> String {
        let words = line.split(separator: " ").map(String.init)
        guard words.count >= 2, let unit = Int(words[1]) else { return "error: expected COMMAND UNIT ..." }
        guard var pack = packs[unit] else { return "error: no pack with unit id \(unit)" }
        defer { packs[unit] = pack }
        func number(_ index: Int) -> Double? { words.count > index ? Double(words[index]) : nil }
        switch words[0] {
        case "fault" where words.count >= 3:
            switch words[2] {
            case "over_temperature":
                guard let rate = number(3) else { return "error: over_temperature needs K/s" }
                pack.faults.temperatureRampKelvinPerSecond = rate
            case "cell_over_voltage":
                guard let cell = number(3), let volts = number(4), cell >= 1, Int(cell) <= pack.cellCount else {
                    return "error: cell_over_voltage needs CELL VOLTS"
                }
                pack.faults.cellVoltageOffsets[Int(cell) - 1] = volts
            case "sensor_dropout":
                guard let sensor = number(3), sensor >= 1 else { return "error: sensor_dropout needs SENSOR" }
                pack.faults.droppedSensors.insert(Int(sensor) - 1)
            case "silent":
                pack.faults.silent = true
            case "exception":
                guard let code = number(3), (1...11).contains(code) else { return "error: exception needs CODE 1–11" }
                pack.faults.exceptionCode = UInt32(code)
            default:
                return "error: unknown fault \(words[2])"
            }
            return "ok"
        case "clear":
            pack.faults = SimulatedPack.Faults()
            return "ok"
        case "current":
            guard let amps = number(2) else { return "error: current needs AMPS" }
            pack.requestedCurrent = amps
            return "ok"
        case "temperature":
            guard let celsius = number(2) else { return "error: temperature needs CELSIUS" }
            pack.model.temperatureCelsius = celsius
            return "ok"
        case "status":
            let status: [String: Any] = [
                "unit_id": unit, "soc": pack.model.soc * 100, "temperature": pack.model.temperatureCelsius,
                "current": pack.current, "contactors_closed": pack.contactorsClosed,
                "inverter_started": pack.inverterStarted, "alarm_resets": pack.alarmResets,
            ]
            guard let data = try? JSONSerialization.data(withJSONObject: status, options: [.sortedKeys]) else {
                return "error: cannot encode status"
            }
            return String(decoding: data, as: UTF8.self)
        default:
            return "error: unknown command \(words[0])"
        }
    }
}
