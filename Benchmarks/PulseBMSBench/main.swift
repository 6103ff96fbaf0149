import BMSCore
import Foundation

// Run with:  swift run -c release PulseBMSBench
// Prints figures; asserts nothing. Each case is timed over enough iterations to take about a second.

func measure(_ name: String, iterations: Int, _ body: () -> Int) {
    var sink = 0
    for _ in 0..<min(iterations, 1000) { sink &+= body() }  // warm-up
    let clock = ContinuousClock()
    let elapsed = clock.measure {
        for _ in 0..<iterations { sink &+= body() }
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let perCall = seconds / Double(iterations) * 1e6
    print("\(name): \(String(format: "%.2f", perCall)) µs per call (\(iterations) calls, checksum \(sink & 0xFF))")
}

// A 144-cell NMC snapshot near the warning levels, so every rule does real work.
let now = Timestamp(millisecondsSinceEpoch: 1_705_329_015_123)
let cells = (0..<144).map { Measured(4.05 + Double($0 % 7) * 0.01, at: now) }
let temperatures = (0..<48).map { Measured(30 + Double($0 % 5), at: now) }
let snapshot = PackSnapshot(
    deviceID: "bench", takenAt: now, voltage: Measured(583.2, at: now), current: Measured(-40, at: now),
    power: Measured(-23_328, at: now), temperature: Measured(31, at: now), soc: Measured(88, at: now),
    soh: Measured(91, at: now), cellVoltages: cells, cellTemperatures: temperatures)

let limits = SafetyLimits(defaultsFor: .nmc, nominalCapacityAmpHours: 100)
var monitor = SafetyMonitor(limits: limits)
measure("safety: SafetyInput from a 144-cell snapshot", iterations: 200_000) {
    SafetyInput(snapshot).values.count
}
let input = SafetyInput(snapshot)
measure("safety: SafetyMonitor.evaluate (13 rules)", iterations: 500_000) {
    monitor.evaluate(input).alarms.count
}
measure("safety: snapshot → verdict, 144 cells", iterations: 200_000) {
    monitor.evaluate(SafetyInput(snapshot)).actions.count
}

// SunSpec 805 with 144 cells: decoding one poll's registers.
var module = SunSpecBatteryModule.Image(cellCount: 144)
module.cellVSF = -3
module.tmpSF = -1
module.cells = (0..<144).map { SunSpecBatteryModule.Image.Cell(cellV: UInt16(3300 + $0), cellTmp: Int16(250), cellSt: 0) }
let registers = module.registers
measure("sunspec: decode model 805 with 144 cells", iterations: 100_000) {
    (try? SunSpecBatteryModule(registers: registers))?.cellVoltages.count ?? 0
}

// Wire: encode and decode a 144-cell telemetry message.
let message = TelemetryMessage(
    timestamp: now, sequenceNumber: 1, deviceInfo: DeviceInfo(deviceID: "bench", siteID: "site"),
    measurements: Measurements(
        pack: PackMeasurements(voltage: 583.2, current: -40, power: -23_328, temperature: 31, soc: 88, soh: 91),
        cells: CellMeasurements(count: 144, voltages: cells.map(\.value), temperatures: temperatures.map(\.value),
                                balancingStatus: Array(repeating: 0, count: 144))),
    status: RuntimeStatus(operationalState: .charging, communicationQuality: 1, uptimeSeconds: 1), alarms: .none)
let encoded = (try? WireCoding.encode(message)) ?? Data()
measure("wire: encode a 144-cell telemetry message", iterations: 20_000) {
    (try? WireCoding.encode(message))?.count ?? 0
}
measure("wire: decode a 144-cell telemetry message", iterations: 20_000) {
    (try? WireCoding.decode(TelemetryMessage.self, from: encoded))?.measurements.cells?.count ?? 0
}
measure("wire: parse a 144-cell telemetry message into a JSON tree", iterations: 20_000) {
    (try? WireCoding.decodeTree(from: encoded))?.objectValue?.count ?? 0
}

// Allocation: water-filling over 10, 100 and 1,000 packs.
for count in [10, 100, 1000] {
    let fleet = (0..<count).map { (index: Int) -> AllocatorPack in
        let energy = Double(20_000 + index * 137 % 80_000)
        let soc = 0.2 + Double(index % 60) / 100
        let temperature = 20 + Double(index % 25)
        let soh = 0.75 + Double(index % 25) / 100
        let charge = Double(5_000 + index * 31 % 40_000)
        let discharge = Double(5_000 + index * 53 % 40_000)
        return AllocatorPack(
            deviceID: "p\(index)", usableEnergyWattHours: energy, soc: soc, temperatureCelsius: temperature, soh: soh,
            maxChargePowerWatts: charge, maxDischargePowerWatts: discharge)
    }
    let target = Double(count) * 8_000
    measure("allocator: \(count) packs", iterations: max(20, 200_000 / count)) {
        SiteAllocator.allocate(packs: fleet, targetWatts: target, durationMinutes: 60, options: .init(socBalancingGain: 1_000)).setpoints.count
    }
}

// Twin step per pack: pack model step + EKF step + RLS update.
do {
    let cell = EquivalentCircuitCell.defaults(for: .nmc)
    if let thermal = try? LumpedThermalModel(thermalMassJoulesPerKelvin: 1000, heatTransferWattsPerKelvin: 1),
        var model = try? PackModel(cell: cell, seriesCells: 1, parallelCells: 1, thermal: thermal, soc: 0.6)
    {
        var estimator = SoCEstimator(cell: cell, initialSoC: 0.5)
        var identifier = ParameterIdentifier()
        var step = 0
        measure("twin: model + EKF + RLS step per pack", iterations: 200_000) {
            step += 1
            let current = step % 60 < 30 ? 30.0 : -10.0
            model.step(current: current, duration: .seconds(1))
            let volts = model.terminalVoltage(current: current)
            estimator.step(current: current, duration: .seconds(1), measuredVolts: volts)
            identifier.update(terminalVolts: volts, openCircuitVolts: cell.openCircuitVoltage.voltage(soc: estimator.soc), current: current, interval: .seconds(1))
            return estimator.samplesAboveBound
        }
    }
}

// Degradation impact for the allocation message: a standard twin per pack, and one hour at its setpoint.
if let twin = try? PackTwin(standardFor: .nmc, nominalCapacityAmpHours: 100, seriesCells: 14, soc: 0.6, temperatureCelsius: 30) {
    measure("twin: PackTwin(standardFor:…) per pack", iterations: 20_000) {
        let built = try? PackTwin(standardFor: .nmc, nominalCapacityAmpHours: 100, seriesCells: 14, soc: 0.6, temperatureCelsius: 30)
        return built?.pack.seriesCells ?? 0
    }
    measure("twin: degradation impact of 1 h at 2 kW per pack", iterations: 2_000) {
        ((try? twin.degradationImpactPercent(powerWatts: 2_000, duration: .seconds(3600))) ?? 0) > 0 ? 1 : 0
    }
}
