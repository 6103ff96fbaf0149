import ArgumentParser
import BMSCore
import Foundation

/// `pulsebms-agent can-decode`: a technician's tool that decodes candump `-L` lines with a profile and prints
/// one JSON object per frame, then one summary object of what did not decode.
struct CanDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "can-decode",
        abstract: "Decode candump -L lines (a file or stdin) with the CAN-bus BMS profile or a DBC file.",
        discussion: """
            Prints one JSON object per line that holds a frame: {line, timestamp, interface, id, extended, \
            message, signals: [{name, value, unit, label}]} (and the snapshot fields a --mapping feeds), or \
            {line, id, error} for a frame the profile does not decode; then {summary: {…}} with counts, the \
            undecoded frames by id and reason, and the malformed lines. Exit code 0 even when frames did not \
            decode; 1 when the profile cannot be loaded.
            Example: candump -L can0 | pulsebms-agent can-decode --profile canbus-bms
            """)

    enum Profile: String, ExpressibleByArgument {
        case canbusBMS = "canbus-bms"
    }

    @Argument(help: "candump -L log file; standard input when omitted or '-'.")
    var file: String?

    @Option(help: "Decode with a built-in profile: canbus-bms.")
    var profile: Profile?

    @Option(help: "Decode with this DBC file.")
    var dbc: String?

    @Option(help: "With --dbc: a signal map (YAML) whose snapshot fields are printed too.")
    var mapping: String?

    func validate() throws {
        guard (profile == nil) != (dbc == nil) else { throw ValidationError("give exactly one of --profile or --dbc") }
        if mapping != nil, dbc == nil { throw ValidationError("--mapping needs --dbc") }
    }

    func run() throws {
        var decoder: CANFrameDecoder
        do {
            decoder = try CANFrameDecoder(profile: profile, dbcPath: dbc, mappingPath: mapping)
        } catch {
            printError("can-decode: \(error.fieldErrors.map { "\($0.field): \($0.message)" }.joined(separator: "; "))")
            throw ExitCode(1)
        }
        let input: FileHandle
        if let file, file != "-" {
            guard let handle = FileHandle(forReadingAtPath: file) else {
                printError("can-decode: cannot read \(file)")
                throw ExitCode(1)
            }
            input = handle
        } else {
            input = FileHandle.standardInput
        }
        var lines = LineSplitter()
        while true {
            let chunk = input.availableData
            if chunk.isEmpty { break }
            for line in lines.feed(chunk) { emit(decoder.decode(line: line)) }
        }
        if let last = lines.finish() { emit(decoder.decode(line: last)) }
        emit(decoder.summary)
    }

    private func emit(_ value: JSONValue?) {
        guard let value, let data = try? WireCoding.encode(value) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}

/// Splits a byte stream into lines of at most 4 KiB (longer ones are cut, and fail to parse as candump).
struct LineSplitter {
    private var buffer: [UInt8] = []

    mutating func feed(_ data: Data) -> [ArraySlice<UInt8>] {
        buffer += data
        var lines: [ArraySlice<UInt8>] = []
        var start = buffer.startIndex
        while let newline = buffer[start...].firstIndex(of: 0x0A) {
            lines.append(buffer[start..<newline].prefix(4096))
            start = newline + 1
        }
        buffer = Array(buffer[start...])
        if buffer.count > 4096 {
            lines.append(buffer.prefix(4096)[...])
            buffer.removeAll()
        }
        return lines
    }

    mutating func finish() -> ArraySlice<UInt8>? {
        defer { buffer.removeAll() }
        return buffer.isEmpty ? nil : buffer[...]
    }
}

/// Turns candump lines into JSON objects with one profile, counting what did not decode.
struct CANFrameDecoder {
    private let database: DBCDatabase?
    private let mapping: DBCSnapshotMapping?
    private var reader = CandumpReader(keptMalformedLimit: 100)
    private var decoded = 0
    private var undecodedByID: [String: Int] = [:]
    private var undecodedByReason: [String: Int] = [:]

    init(profile: CanDecodeCommand.Profile?, dbcPath: String?, mappingPath: String?) throws(ValidationFailure) {
        if let dbcPath {
            let database = try CANProfileLoader.loadDatabase(path: dbcPath)
            self.database = database
            if let mappingPath {
                mapping = try CANProfileLoader.load(dbcPath: dbcPath, mapPath: mappingPath).1
            } else {
                mapping = nil
            }
        } else {
            database = nil
            mapping = nil
        }
    }

    /// The JSON object for one line; `nil` for blank and malformed lines (counted for the summary).
    mutating func decode(line: ArraySlice<UInt8>) -> JSONValue? {
        guard let record = reader.read(bytes: line) else { return nil }
        let frame = record.frame
        var object: [String: JSONValue] = [
            "line": .number(Double(reader.lineCount)), "timestamp": .string(record.timestamp.rfc3339),
            "interface": .string(record.interface), "id": .string(Self.hex(frame.id)), "extended": .bool(frame.isExtended),
        ]
        let result: Result<(String, [JSONValue], [String: JSONValue]), DecodeFailure>
        if let database {
            result = Self.decode(frame, database: database, mapping: mapping)
        } else {
            result = Self.decodeCANBusBMS(frame, at: record.timestamp)
        }
        switch result {
        case .success(let (message, signals, fields)):
            decoded += 1
            object["message"] = .string(message)
            object["signals"] = .array(signals)
            if !fields.isEmpty { object["fields"] = .object(fields) }
        case .failure(let failure):
            undecodedByID[Self.hex(frame.id), default: 0] += 1
            undecodedByReason[failure.kind, default: 0] += 1
            object["error"] = .string(failure.reason)
        }
        return .object(object)
    }

    var summary: JSONValue {
        .object([
            "summary": .object([
                "lines": .number(Double(reader.lineCount)), "frames": .number(Double(reader.recordCount)),
                "decoded": .number(Double(decoded)),
                "undecoded": .number(Double(undecodedByID.values.reduce(0, +))),
                "undecoded_by_id": .object(undecodedByID.mapValues { .number(Double($0)) }),
                "undecoded_by_reason": .object(undecodedByReason.mapValues { .number(Double($0)) }),
                "malformed_lines": .number(Double(reader.malformedCount)),
                "malformed": .array(reader.malformedLines.map {
                    .object(["line": .number(Double($0.lineNumber)), "reason": .string($0.reason)])
                }),
            ])
        ])
    }

    struct DecodeFailure: Error {
        /// A short class for counting: unknown_message, too_short, not_a_data_frame, …
        var kind: String
        var reason: String
    }

    static func hex(_ id: UInt32) -> String { "0x" + String(id, radix: 16, uppercase: true) }

    static func decode(
        _ frame: CANFrame, database: DBCDatabase, mapping: DBCSnapshotMapping?
    ) -> Result<(String, [JSONValue], [String: JSONValue]), DecodeFailure> {
        let message: DBCDecodedMessage
        do throws(DBCDecodeError) {
            message = try database.decode(frame)
        } catch {
            let kind: String
            switch error {
            case .unknownMessage: kind = "unknown_message"
            case .notADataFrame: kind = "not_a_data_frame"
            case .frameTooShort: kind = "frame_too_short"
            case .unknownMultiplexerValue: kind = "unknown_multiplexer_value"
            }
            return .failure(DecodeFailure(kind: kind, reason: error.description))
        }
        let signals: [JSONValue] = message.signals.map { signal in
            var object: [String: JSONValue] = [
                "name": .string(signal.name), "value": .number(signal.physicalValue), "unit": .string(signal.unit),
            ]
            if let label = signal.label { object["label"] = .string(label) }
            return .object(object)
        }
        var fields: [String: JSONValue] = [:]
        for entry in mapping?.signals ?? [] {
            if let name = entry.messageName, name != message.name { continue }
            if let signal = message[signal: entry.signalName] {
                fields[entry.field.name] = .number(entry.snapshotValue(ofPhysical: signal.physicalValue))
            }
        }
        return .success((message.name, signals, fields))
    }

    static func decodeCANBusBMS(_ frame: CANFrame, at time: Timestamp) -> Result<(String, [JSONValue], [String: JSONValue]), DecodeFailure> {
        if frame.id == CANBusBMSFrameID.keepAlive.rawValue, !frame.isExtended, !frame.isRemote, !frame.isError {
            return .success(("\(CANBusBMSFrameID.keepAlive)", [], [:]))  // the inverter's (or agent's) keep-alive
        }
        var accumulator = CANBusBMSAccumulator()
        switch accumulator.ingest(frame, at: time) {
        case .ignored:
            return .failure(DecodeFailure(kind: "unknown_message", reason: "not a frame of the CAN-bus BMS protocol"))
        case .malformed(let reason):
            return .failure(DecodeFailure(kind: "frame_too_short", reason: reason))
        case .accepted(let id):
            return .success(("\(id)", CANBusBMSSignals.list(accumulator.status(at: time)), [:]))
        }
    }
}

/// The fields of a CAN-bus BMS status as can-decode prints them: name, value, unit.
enum CANBusBMSSignals {
    static func list(_ status: CANBusBMSStatus) -> [JSONValue] {
        var signals: [JSONValue] = []
        func add(_ name: String, _ value: Measured<Double>?, _ unit: String) {
            if let value { signals.append(.object(["name": .string(name), "value": .number(value.value), "unit": .string(unit)])) }
        }
        func add(_ name: String, _ value: Measured<Int>?) {
            if let value { signals.append(.object(["name": .string(name), "value": .number(Double(value.value)), "unit": .string("")])) }
        }
        func add(_ name: String, _ value: Measured<Bool>?) {
            if let value { signals.append(.object(["name": .string(name), "value": .bool(value.value), "unit": .string("")])) }
        }
        func add(_ name: String, _ value: Measured<String>?) {
            if let value { signals.append(.object(["name": .string(name), "value": .string(value.value), "unit": .string("")])) }
        }
        add("charge_voltage_limit", status.chargeVoltageLimit, "V")
        add("charge_current_limit", status.chargeCurrentLimit, "A")
        add("discharge_current_limit", status.dischargeCurrentLimit, "A")
        add("discharge_voltage_limit", status.dischargeVoltageLimit, "V")
        add("soc", status.soc, "%")
        add("soh", status.soh, "%")
        add("voltage", status.voltage, "V")
        add("current", status.current, "A")
        add("temperature", status.temperature, "degC")
        if let alarms = status.alarms {
            signals.append(.object(["name": .string("alarms"), "value": .array(alarms.value.sorted().map { .string($0.alarmFlag) }), "unit": .string("")]))
        }
        if let warnings = status.warnings {
            signals.append(.object(["name": .string("warnings"), "value": .array(warnings.value.sorted().map { .string($0.warningFlag) }), "unit": .string("")]))
        }
        add("module_count", status.moduleCount)
        add("charge_enabled", status.chargeEnabled)
        add("discharge_enabled", status.dischargeEnabled)
        add("force_charge_requested", status.forceChargeRequested)
        add("manufacturer", status.manufacturer)
        add("chemistry", status.chemistry)
        add("version_code", status.versionCode.map { Measured(Int($0.value), at: $0.measuredAt, isStale: $0.isStale) })
        add("capacity", status.capacityAmpHours, "Ah")
        add("bms_name", status.bmsName)
        add("modules_online", status.modulesOnline)
        add("modules_blocking_charge", status.modulesBlockingCharge)
        add("modules_blocking_discharge", status.modulesBlockingDischarge)
        add("modules_offline", status.modulesOffline)
        add("cell_voltage_min", status.cellVoltageMin, "V")
        add("cell_voltage_max", status.cellVoltageMax, "V")
        add("cell_temperature_min", status.cellTemperatureMin, "degC")
        add("cell_temperature_max", status.cellTemperatureMax, "degC")
        add("installed_capacity", status.installedCapacityAmpHours, "Ah")
        return signals
    }
}
