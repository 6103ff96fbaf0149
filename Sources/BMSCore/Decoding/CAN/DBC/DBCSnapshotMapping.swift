/// Which DBC signals feed which snapshot fields: the small mapping that, with a DBC file, makes a CAN pack
/// profile without code.
///
/// The agent loads the YAML into a `JSONValue` tree and decodes it with `WireCoding.decode`, then checks it
/// against the DBC with `validated(against:)`:
///
/// ```yaml
/// name: Vendor X 16S
/// signals:
///   - { signal: BattStatus.PackVoltage, field: pack_voltage }
///   - { signal: PackCurrent, field: pack_current, invert_sign: true }   # DBC current > 0 charging
///   - { signal: CellV1, field: "cell_voltage[1]" }
///   - { signal: CellT1, field: "cell_temperature[1]", offset: -273.15 }  # Kelvin in the DBC
///   - { signal: MaxCellVoltage, field: cell_voltage_max }  # instead of per-cell signals, if the pack has none
///   - { signal: OverTempAlarm, field: alarm_flags }
/// ```
///
/// `signal` is `Signal` (unique in the DBC) or `Message.Signal`. The snapshot value is
/// (physical × `scale` + `offset`), negated when `invert_sign` is set: PulseBMS current is > 0 while
/// discharging, so a DBC whose current is > 0 while charging needs `invert_sign: true`. Several signals may
/// feed `alarm_flags`: each one that is non-zero raises a flag named by its value label, or by the signal name.
public struct DBCSnapshotMapping: Codable, Sendable, Equatable {
    /// One signal → field line.
    public struct Entry: Codable, Sendable, Equatable {
        /// `Signal` or `Message.Signal`.
        public var signal: String
        /// The snapshot field it feeds.
        public var field: SnapshotField
        /// Multiplier applied to the physical value (unit conversion, e.g. 0.001 for mV → V); default 1.
        public var scale: Double
        /// Added after `scale` (e.g. −273.15 for K → °C); default 0.
        public var offset: Double
        /// Negate the result (for a current that is > 0 while charging); default false.
        public var invertSign: Bool

        /// An entry; defaults as in YAML.
        public init(signal: String, field: SnapshotField, scale: Double = 1, offset: Double = 0, invertSign: Bool = false) {
            self.signal = signal
            self.field = field
            self.scale = scale
            self.offset = offset
            self.invertSign = invertSign
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case signal, field, scale, offset
            case invertSign = "invert_sign"
        }

        /// Reads an entry, applying the defaults and refusing unknown keys.
        public init(from decoder: any Decoder) throws {
            try RegisterMap.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
            let container = try decoder.container(keyedBy: CodingKeys.self)
            signal = try container.decode(String.self, forKey: .signal)
            field = try container.decode(SnapshotField.self, forKey: .field)
            scale = try container.decodeIfPresent(Double.self, forKey: .scale) ?? 1
            offset = try container.decodeIfPresent(Double.self, forKey: .offset) ?? 0
            invertSign = try container.decodeIfPresent(Bool.self, forKey: .invertSign) ?? false
        }

        /// The message part of `Message.Signal`, or `nil` for a bare signal name.
        public var messageName: String? {
            signal.firstIndex(of: ".").map { String(signal[..<$0]) }
        }

        /// The signal part.
        public var signalName: String {
            signal.firstIndex(of: ".").map { String(signal[signal.index(after: $0)...]) } ?? signal
        }

        /// The snapshot value of a physical value.
        public func snapshotValue(ofPhysical physical: Double) -> Double {
            let value = physical * scale + offset
            return invertSign ? -value : value
        }
    }

    /// A name for logs and errors.
    public var name: String?
    /// The mapped signals.
    public var signals: [Entry]

    /// A mapping.
    public init(name: String? = nil, signals: [Entry]) {
        self.name = name
        self.signals = signals
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, signals
    }

    /// Reads a mapping, refusing unknown keys.
    public init(from decoder: any Decoder) throws {
        try RegisterMap.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        signals = try container.decode([Entry].self, forKey: .signals)
    }

    // MARK: - Validation

    /// The message each entry reads, or `nil` where the signal cannot be found (or is ambiguous).
    public func resolvedMessageNames(in database: DBCDatabase) -> [String?] {
        signals.map { entry in
            if let messageName = entry.messageName {
                return database.message(named: messageName)?.signal(named: entry.signalName) != nil ? messageName : nil
            }
            let holders = database.messages.filter { $0.signal(named: entry.signalName) != nil }
            return holders.count == 1 ? holders[0].name : nil
        }
    }

    /// Every problem of the mapping against `database`, each with its path (`signals[2].signal`).
    ///
    /// Checks: at least one entry; each signal found in the DBC (named, and for a bare name in exactly one
    /// message); `scale` finite and non-zero; `offset` finite; no two entries feeding the same field (except
    /// `alarm_flags`).
    public func validate(against database: DBCDatabase) -> [FieldError] {
        var errors: [FieldError] = []
        if signals.isEmpty {
            errors.append(FieldError(field: "signals", message: "Must contain at least one signal", receivedValue: .array([])))
        }
        var firstEntryFeeding: [SnapshotField: Int] = [:]
        for (index, entry) in signals.enumerated() {
            let path = "signals[\(index)]"
            let received = JSONValue.string(entry.signal)
            if let messageName = entry.messageName {
                if let message = database.message(named: messageName) {
                    if message.signal(named: entry.signalName) == nil {
                        errors.append(
                            FieldError(
                                field: "\(path).signal", message: "Message '\(messageName)' has no signal '\(entry.signalName)'",
                                receivedValue: received))
                    }
                } else {
                    errors.append(
                        FieldError(field: "\(path).signal", message: "No message '\(messageName)' in the DBC", receivedValue: received))
                }
            } else {
                let holders = database.messages.filter { $0.signal(named: entry.signalName) != nil }.map(\.name)
                if holders.isEmpty {
                    errors.append(
                        FieldError(field: "\(path).signal", message: "No signal '\(entry.signal)' in the DBC", receivedValue: received))
                } else if holders.count > 1 {
                    errors.append(
                        FieldError(
                            field: "\(path).signal",
                            message: "Signal '\(entry.signal)' is in several messages (\(holders.joined(separator: ", "))); "
                                + "write Message.Signal",
                            receivedValue: received))
                }
            }
            if !entry.scale.isFinite || entry.scale == 0 {
                errors.append(
                    FieldError(field: "\(path).scale", message: "Must be a finite, non-zero number", receivedValue: Self.received(entry.scale)))
            }
            if !entry.offset.isFinite {
                errors.append(FieldError(field: "\(path).offset", message: "Must be a finite number", receivedValue: Self.received(entry.offset)))
            }
            guard entry.field != .alarmFlags else { continue }
            if let first = firstEntryFeeding[entry.field] {
                errors.append(
                    FieldError(
                        field: "\(path).field", message: "Field '\(entry.field.name)' is already fed by signals[\(first)]",
                        receivedValue: .string(entry.field.name)))
            } else {
                firstEntryFeeding[entry.field] = index
            }
        }
        return errors
    }

    /// The mapping itself if `validate(against:)` finds nothing.
    /// - Throws: `ValidationFailure` listing every problem at once.
    public func validated(against database: DBCDatabase) throws(ValidationFailure) -> DBCSnapshotMapping {
        let errors = validate(against: database)
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        return self
    }

    /// The CAN filters passing exactly the frames of the mapped messages.
    public func filters(in database: DBCDatabase, maximumCount: Int = 512) -> [CANFilter] {
        let messages = resolvedMessageNames(in: database).compactMap { $0.flatMap(database.message(named:)) }
        return CANFilter.minimalFilters(
            standardIDs: Set(messages.filter { !$0.isExtended }.map(\.id)),
            extendedIDs: Set(messages.filter(\.isExtended).map(\.id)), maximumCount: maximumCount)
    }

    private static func received(_ value: Double) -> JSONValue {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value > 0 ? "+Infinity" : "-Infinity") }
        return .number(value)
    }
}
