/// Collects the frames of a CAN-bus BMS battery as they arrive and turns them into a `CANBusBMSStatus` or a
/// `PackSnapshot` at any time.
///
/// Feed every received frame with its receive time (`ingest`); other frames are ignored. The fields of a frame
/// that has not arrived for `staleAfter` (default 3 s: three missed 1 s broadcasts, the same silence after which
/// Battery-Emulator declares its peer lost) keep their last value but are marked stale, so safety rules hold
/// their state instead of acting on old or zeroed values.
///
/// The protocol reports no per-cell values, only the lowest and highest cell voltage and the coldest and
/// hottest cell temperature (0x373), without saying which cells they are. The snapshot therefore leaves its
/// cell arrays empty and carries these in `PackSnapshot.cellVoltageMin`, `cellVoltageMax`,
/// `cellTemperatureMin` and `cellTemperatureMax`: `SafetyInput` sees the true minimum and maximum (and their
/// spread) with no cell number, and telemetry publishes no invented cells.
public struct CANBusBMSAccumulator: Sendable {
    /// How long a frame's fields stay fresh: 3 s.
    public static let defaultStaleAfter: Duration = .seconds(3)

    /// What became of one frame.
    public enum Outcome: Sendable, Hashable {
        /// A battery frame, kept.
        case accepted(CANBusBMSFrameID)
        /// Not a battery frame of this protocol (other identifier, extended, remote, error or the keep-alive).
        case ignored
        /// A battery frame too short to hold its first field; counted and dropped.
        case malformed(String)
    }

    /// How long a frame's fields stay fresh after it arrives.
    public var staleAfter: Duration
    /// Battery frames kept.
    public private(set) var acceptedFrameCount = 0
    /// Frames of other protocols or kinds.
    public private(set) var ignoredFrameCount = 0
    /// Battery frames too short to use.
    public private(set) var malformedFrameCount = 0

    private var payloads: [CANBusBMSFrameID: CANBusBMSPayload] = [:]
    private var lastFrameAt: Timestamp?

    /// An accumulator whose values go stale `staleAfter` after their frame.
    public init(staleAfter: Duration = defaultStaleAfter) {
        self.staleAfter = staleAfter
    }

    /// Whether any battery frame has arrived (a source should report a failed read until then).
    public var hasReceivedData: Bool { lastFrameAt != nil }

    /// Keeps one frame received at `time`.
    @discardableResult
    public mutating func ingest(_ frame: CANFrame, at time: Timestamp) -> Outcome {
        guard !frame.isExtended, !frame.isRemote, !frame.isError, let id = CANBusBMSFrameID(rawValue: frame.id),
            id != .keepAlive
        else {
            ignoredFrameCount += 1
            return .ignored
        }
        let minimum: Int
        switch id {
        case .pylontechProtection, .alarmsAndWarnings, .requestFlags, .manufacturerName, .batteryInfo, .bmsNameFirstHalf,
            .bmsNameSecondHalf:
            minimum = 1
        default:
            minimum = 2
        }
        guard frame.data.count >= minimum else {
            malformedFrameCount += 1
            return .malformed(
                "0x\(CANHex.string(id.rawValue, width: 3)) needs at least \(minimum) bytes, got \(frame.data.count)")
        }
        payloads[id] = CANBusBMSPayload(data: frame.data, receivedAt: time)
        lastFrameAt = max(lastFrameAt ?? time, time)
        acceptedFrameCount += 1
        return .accepted(id)
    }

    /// Whether frame `id` has arrived within `staleAfter` before `time`.
    public func isFresh(_ id: CANBusBMSFrameID, at time: Timestamp) -> Bool {
        guard let payload = payloads[id] else { return false }
        return !payload.receivedAt.isOlder(than: staleAfter, at: time)
    }

    /// Everything received, as of `time`.
    public func status(at time: Timestamp) -> CANBusBMSStatus {
        CANBusBMSStatus(payloads: payloads, at: time, staleAfter: staleAfter)
    }

    /// The snapshot at `time`.
    ///
    /// Voltage, current (> 0 discharging), temperature and power from 0x356; SoC and SoH from 0x355; the
    /// 0x373 extremes as `cellVoltageMin`/`cellVoltageMax`/`cellTemperatureMin`/`cellTemperatureMax`, with
    /// empty cell arrays (see the type's description); the 0x359/0x35A conditions as
    /// `packAlarmFlags` (`pack_over_temperature_alarm`, …, see `CANBusBMSCondition`); the operational state
    /// from the current (±0.5 A). The pack's own allowance (`packChargeCurrentLimit`,
    /// `packDischargeCurrentLimit`) is 0x351 CCL / DCL, a negative value read as 0, and 0 while 0x35C says
    /// that direction is disabled (even when 0x35C has gone stale). `dataQuality` is the fraction of the
    /// frames ever received that are fresh; `secondsSinceLastRead` counts from the last battery frame.
    public func snapshot(deviceID: String, at time: Timestamp) -> PackSnapshot {
        let status = self.status(at: time)
        var power: Measured<Double>?
        if let volts = status.voltage, let amps = status.current {
            power = Measured(volts.value * amps.value, at: volts.measuredAt, isStale: volts.isStale)
        }
        let state = status.current.map { reading in
            Measured(
                reading.value > 0.5 ? OperationalState.discharging : reading.value < -0.5 ? .charging : .idle,
                at: reading.measuredAt, isStale: reading.isStale)
        }
        let flagSources = [status.alarms, status.warnings].compactMap { $0 }
        let flags = flagSources.map(\.measuredAt).max().map { newest in
            Measured(status.flagNames, at: newest, isStale: flagSources.contains(where: \.isStale))
        }
        let fresh = payloads.values.filter { !$0.receivedAt.isOlder(than: staleAfter, at: time) }.count
        return PackSnapshot(
            deviceID: deviceID, takenAt: time, voltage: status.voltage, current: status.current, power: power,
            temperature: status.temperature, soc: status.soc, soh: status.soh,
            cellVoltageMin: status.cellVoltageMin, cellVoltageMax: status.cellVoltageMax,
            cellTemperatureMin: status.cellTemperatureMin, cellTemperatureMax: status.cellTemperatureMax,
            packAlarmFlags: flags, operationalState: state,
            packChargeCurrentLimit: Self.packCurrentLimit(status.chargeCurrentLimit, enabled: status.chargeEnabled),
            packDischargeCurrentLimit: Self.packCurrentLimit(status.dischargeCurrentLimit, enabled: status.dischargeEnabled),
            dataQuality: payloads.isEmpty ? 0 : Double(fresh) / Double(payloads.count),
            secondsSinceLastRead: lastFrameAt.map { max(0, $0.seconds(until: time)) } ?? 0)
    }

    /// One direction's allowance: 0, with the flag's time and staleness, while the 0x35C enable flag is false
    /// (fresh or stale: a direction the pack disabled stays disabled until the pack says otherwise); else the
    /// 0x351 limit; `nil` when 0x351 has not arrived and 0x35C does not disable the direction.
    static func packCurrentLimit(_ limit: Measured<Double>?, enabled: Measured<Bool>?) -> Measured<Double>? {
        if let enabled, !enabled.value { return Measured(0, at: enabled.measuredAt, isStale: enabled.isStale) }
        return PackSnapshot.currentLimit(limit)
    }
}
