import BMSCore
import GRDB

/// A telemetry message checked and encoded, ready for the ingest transaction.
struct PreparedTelemetry {
    let message: TelemetryMessage
    let deviceID: String
    /// The wire's `UInt64` as SQLite's signed integer; the bit pattern keeps numbers past `Int64.max` unique.
    let sequence: Int64
    let timestampMilliseconds: Int64
    /// One value per `TelemetryMetric.allCases`, in that order.
    let values: [Double?]
    let json: String

    /// `nil` for a message with a non-finite value (SQLite would store NaN as NULL) or one that cannot be encoded.
    init?(_ message: TelemetryMessage) {
        let pack = message.measurements.pack
        let values = TelemetryMetric.allCases.map { pack.value(of: $0) }
        guard values.allSatisfy({ $0?.isFinite ?? true }), let json = try? SQLiteRelayStore.json(message) else { return nil }
        self.message = message
        deviceID = message.deviceInfo.deviceID
        sequence = Int64(bitPattern: message.sequenceNumber)
        timestampMilliseconds = message.timestamp.millisecondsSinceEpoch
        self.values = values
        self.json = json
    }

    var rawArguments: StatementArguments {
        var arguments: [(any DatabaseValueConvertible)?] = [deviceID, sequence, message.deviceInfo.siteID, timestampMilliseconds]
        arguments += values.map { $0 as (any DatabaseValueConvertible)? }
        arguments.append(json)
        return StatementArguments(arguments)
    }

    func stateArguments() throws -> StatementArguments {
        let alarms = message.alarms
        // A pack that reports flags but no details still shows what is active.
        let codes = alarms.details.isEmpty ? alarms.flags : alarms.details.map(\.code)
        var arguments: [(any DatabaseValueConvertible)?] = [deviceID, timestampMilliseconds, sequence]
        arguments += values.map { $0 as (any DatabaseValueConvertible)? }
        arguments += [message.status.operationalState.rawValue, alarms.activeCount, try SQLiteRelayStore.json(codes)]
        return StatementArguments(arguments)
    }
}
