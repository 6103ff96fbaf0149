/// Keeps the latest value of every mapped DBC signal with its receive time and builds snapshots from them.
///
/// Feed it every frame with its receive time (`ingest`); ask for a snapshot whenever the agent polls. A
/// value whose frame has not arrived for `staleAfter` (default 3 s, the CAN-bus BMS keep-alive timeout) is
/// kept but marked stale, never zeroed or dropped. The mapping should be validated against the database first;
/// entries that do not resolve are ignored.
public struct DBCSnapshotAccumulator: Sendable {
    /// How long a value stays fresh after its frame.
    public static let defaultStaleAfter: Duration = .seconds(3)

    private struct Latest: Sendable {
        var value: Double
        var label: String?
        var receivedAt: Timestamp
    }

    /// The DBC.
    public let database: DBCDatabase
    /// The mapping.
    public let mapping: DBCSnapshotMapping
    /// How long a value stays fresh after its frame.
    public var staleAfter: Duration
    /// Frames decoded with a mapped message.
    public private(set) var decodedFrameCount = 0
    /// Frames of a DBC message that did not decode (too short, unknown multiplexer value).
    public private(set) var failedFrameCount = 0
    /// Frames whose identifier the DBC does not define, and remote or error frames.
    public private(set) var ignoredFrameCount = 0
    /// Why the last failed frame did not decode.
    public private(set) var lastFailure: DBCDecodeError?

    private let messageNames: [String?]
    private var latest: [Int: Latest] = [:]
    private var lastFrameAt: Timestamp?

    /// An accumulator for `mapping` over `database`.
    public init(database: DBCDatabase, mapping: DBCSnapshotMapping, staleAfter: Duration = defaultStaleAfter) {
        self.database = database
        self.mapping = mapping
        self.staleAfter = staleAfter
        self.messageNames = mapping.resolvedMessageNames(in: database)
    }

    /// Whether any mapped value has arrived yet (a source should report a failed read until then).
    public var hasReceivedData: Bool { lastFrameAt != nil }

    /// Decodes one frame received at `time` and keeps the mapped values it carries.
    @discardableResult
    public mutating func ingest(_ frame: CANFrame, at time: Timestamp) -> Result<DBCDecodedMessage, DBCDecodeError> {
        do {
            let decoded = try database.decode(frame)
            decodedFrameCount += 1
            var matched = false
            for (index, entry) in mapping.signals.enumerated() where messageNames[index] == decoded.name {
                guard let signal = decoded[signal: entry.signalName] else { continue }
                latest[index] = Latest(
                    value: entry.snapshotValue(ofPhysical: signal.physicalValue), label: signal.label, receivedAt: time)
                matched = true
            }
            if matched { lastFrameAt = max(lastFrameAt ?? time, time) }
            return .success(decoded)
        } catch {
            switch error {
            case .unknownMessage, .notADataFrame: ignoredFrameCount += 1
            default:
                failedFrameCount += 1
                lastFailure = error
            }
            return .failure(error)
        }
    }

    /// The latest value of `field`, as mapped (also for fields a snapshot has no place for, such as
    /// `remaining_capacity`).
    public func value(of field: SnapshotField, at time: Timestamp) -> Measured<Double>? {
        guard let index = mapping.signals.firstIndex(where: { $0.field == field }), let value = latest[index] else { return nil }
        return Measured(value.value, at: value.receivedAt, isStale: value.receivedAt.isOlder(than: staleAfter, at: time))
    }

    /// The snapshot at `time`: each value as last received, stale when its frame is older than `staleAfter`.
    ///
    /// Cell arrays run up to the highest cell number the mapping names; a cell not received yet is NaN and
    /// stale. A DBC that carries only the pack's extremes maps them to `cell_voltage_min`, …, which fill
    /// `cellVoltageMin`, … and leave the arrays empty. Power is voltage × current unless mapped. The
    /// operational state follows the current (±0.5 A). `max_charge_current` and `max_discharge_current` fill
    /// `packChargeCurrentLimit` and `packDischargeCurrentLimit` (A, a negative value read as 0), stale like
    /// any other value. `dataQuality` is the fraction of received values that are fresh;
    /// `secondsSinceLastRead` counts from the last frame that carried a mapped value.
    public func snapshot(deviceID: String, at time: Timestamp) -> PackSnapshot {
        let voltage = value(of: .packVoltage, at: time)
        let current = value(of: .packCurrent, at: time)
        var power = value(of: .packPower, at: time)
        if power == nil, let volts = voltage, let amps = current {
            power = Measured(
                volts.value * amps.value, at: min(volts.measuredAt, amps.measuredAt), isStale: volts.isStale || amps.isStale)
        }
        let state = current.map { reading in
            Measured(
                reading.value > 0.5 ? OperationalState.discharging : reading.value < -0.5 ? .charging : .idle,
                at: reading.measuredAt, isStale: reading.isStale)
        }
        var flags: [String] = []
        var flagTimes: [Timestamp] = []
        var flagsStale = false
        for (index, entry) in mapping.signals.enumerated() where entry.field == .alarmFlags {
            guard let reading = latest[index] else { continue }
            flagTimes.append(reading.receivedAt)
            flagsStale = flagsStale || reading.receivedAt.isOlder(than: staleAfter, at: time)
            if reading.value != 0 { flags.append(reading.label ?? entry.signalName) }
        }
        let fresh = latest.values.filter { !$0.receivedAt.isOlder(than: staleAfter, at: time) }.count
        return PackSnapshot(
            deviceID: deviceID, takenAt: time, voltage: voltage, current: current, power: power,
            temperature: value(of: .packTemperature, at: time), soc: value(of: .soc, at: time), soh: value(of: .soh, at: time),
            cellVoltages: series(SnapshotField.cellVoltage, at: time),
            cellTemperatures: series(SnapshotField.cellTemperature, at: time),
            cellVoltageMin: value(of: .cellVoltageMin, at: time), cellVoltageMax: value(of: .cellVoltageMax, at: time),
            cellTemperatureMin: value(of: .cellTemperatureMin, at: time),
            cellTemperatureMax: value(of: .cellTemperatureMax, at: time),
            balancing: series(SnapshotField.balancing, at: time).map { Measured($0.value != 0, at: $0.measuredAt, isStale: $0.isStale) },
            packAlarmFlags: flagTimes.max().map { Measured(flags, at: $0, isStale: flagsStale) },
            operationalState: state,
            packChargeCurrentLimit: PackSnapshot.currentLimit(value(of: .maxChargeCurrent, at: time)),
            packDischargeCurrentLimit: PackSnapshot.currentLimit(value(of: .maxDischargeCurrent, at: time)),
            dataQuality: latest.isEmpty ? 0 : Double(fresh) / Double(latest.count),
            secondsSinceLastRead: lastFrameAt.map { max(0, $0.seconds(until: time)) } ?? 0)
    }

    private func series(_ field: (Int) -> SnapshotField, at time: Timestamp) -> [Measured<Double>] {
        let count = mapping.signals.compactMap { entry -> Int? in
            guard let number = entry.field.cellNumber, entry.field == field(number) else { return nil }
            return min(number, SnapshotField.maximumIndex)
        }.max() ?? 0
        return (0..<count).map { offset in
            value(of: field(offset + 1), at: time) ?? Measured(.nan, at: time, isStale: true)
        }
    }
}
