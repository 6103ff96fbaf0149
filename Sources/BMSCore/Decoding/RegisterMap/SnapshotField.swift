/// What a register-map point feeds in a `PackSnapshot`.
///
/// On the wire (YAML register maps and DBC signal maps) a field is a snake_case string; per-cell fields carry
/// the 1-based cell or sensor number in brackets: `pack_voltage`, `cell_voltage[3]`, `cell_temperature[1]`,
/// `balancing[16]`. A pack that reports only its extremes maps them to `cell_voltage_min`, `cell_voltage_max`,
/// `cell_temperature_min` and `cell_temperature_max` (see `PackSnapshot`).
public enum SnapshotField: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `pack_voltage`, V.
    case packVoltage
    /// `pack_current`, A.
    case packCurrent
    /// `pack_power`, W.
    case packPower
    /// `pack_temperature`, °C.
    case packTemperature
    /// `soc`, %.
    case soc
    /// `soh`, %.
    case soh
    /// `cell_voltage_min`: lowest cell voltage, V, for a pack that reports no per-cell voltages.
    case cellVoltageMin
    /// `cell_voltage_max`: highest cell voltage, V, for a pack that reports no per-cell voltages.
    case cellVoltageMax
    /// `cell_temperature_min`: coldest cell temperature, °C, for a pack that reports no per-cell temperatures.
    case cellTemperatureMin
    /// `cell_temperature_max`: hottest cell temperature, °C, for a pack that reports no per-cell temperatures.
    case cellTemperatureMax
    /// `cell_voltage[n]`: voltage of cell n (1-based), V.
    case cellVoltage(Int)
    /// `cell_temperature[n]`: temperature sensor n (1-based), °C.
    case cellTemperature(Int)
    /// `balancing[n]`: cell n is balancing when the value is non-zero.
    case balancing(Int)
    /// `alarm_flags`: the pack's own alarm bitfield.
    case alarmFlags
    /// `operational_state`: the pack's own state code.
    case operationalState
    /// `remaining_capacity`, Ah.
    case remainingCapacity
    /// `max_charge_current`, A.
    case maxChargeCurrent
    /// `max_discharge_current`, A.
    case maxDischargeCurrent

    /// The highest cell or sensor number a per-cell field accepts.
    public static let maximumIndex = 1024

    /// Every field without a cell number, in declaration order.
    public static let simpleFields: [SnapshotField] = [
        .packVoltage, .packCurrent, .packPower, .packTemperature, .soc, .soh, .cellVoltageMin, .cellVoltageMax,
        .cellTemperatureMin, .cellTemperatureMax, .alarmFlags, .operationalState, .remainingCapacity,
        .maxChargeCurrent, .maxDischargeCurrent,
    ]

    /// Names of the per-cell fields, written `name[n]`.
    public static let indexedNames = ["cell_voltage", "cell_temperature", "balancing"]

    /// Every accepted form, for error messages.
    public static var acceptedForms: String {
        (simpleFields.map(\.name) + indexedNames.map { "\($0)[n]" }).joined(separator: ", ")
            + " (n = 1...\(maximumIndex))"
    }

    /// A field name that could not be read.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The text received.
        public var text: String
        /// What is wrong with it, listing the accepted forms.
        public var reason: String

        /// A parse error for `text`.
        public init(text: String, reason: String) {
            self.text = text
            self.reason = reason
        }

        /// The reason.
        public var description: String { reason }
    }

    /// The wire name: `pack_voltage`, `cell_voltage[3]`, ….
    public var name: String {
        switch self {
        case .packVoltage: "pack_voltage"
        case .packCurrent: "pack_current"
        case .packPower: "pack_power"
        case .packTemperature: "pack_temperature"
        case .soc: "soc"
        case .soh: "soh"
        case .cellVoltageMin: "cell_voltage_min"
        case .cellVoltageMax: "cell_voltage_max"
        case .cellTemperatureMin: "cell_temperature_min"
        case .cellTemperatureMax: "cell_temperature_max"
        case .cellVoltage(let number): "cell_voltage[\(number)]"
        case .cellTemperature(let number): "cell_temperature[\(number)]"
        case .balancing(let number): "balancing[\(number)]"
        case .alarmFlags: "alarm_flags"
        case .operationalState: "operational_state"
        case .remainingCapacity: "remaining_capacity"
        case .maxChargeCurrent: "max_charge_current"
        case .maxDischargeCurrent: "max_discharge_current"
        }
    }

    /// The 1-based cell or sensor number of a per-cell field.
    public var cellNumber: Int? {
        switch self {
        case .cellVoltage(let number), .cellTemperature(let number), .balancing(let number): number
        default: nil
        }
    }

    /// The wire name.
    public var description: String { name }

    /// Reads a wire name.
    ///
    /// - Throws: `ParseError` for an unknown name, or a cell number that is not a plain decimal from 1 to
    ///   `maximumIndex`.
    public init(parsing text: String) throws(ParseError) {
        if let simple = Self.simpleFields.first(where: { $0.name == text }) {
            self = simple
            return
        }
        let unknown = ParseError(text: text, reason: "unknown field '\(text)'; must be one of: \(Self.acceptedForms)")
        guard text.hasSuffix("]"), let bracket = text.firstIndex(of: "[") else { throw unknown }
        let base = String(text[..<bracket])
        guard Self.indexedNames.contains(base) else { throw unknown }
        let digits = text[text.index(after: bracket)..<text.index(before: text.endIndex)]
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (48...57).contains($0) }), let number = Int(digits),
            (1...Self.maximumIndex).contains(number)
        else {
            throw ParseError(
                text: text,
                reason: "cell number in '\(text)' must be a whole number from 1 to \(Self.maximumIndex)")
        }
        switch base {
        case "cell_voltage": self = .cellVoltage(number)
        case "cell_temperature": self = .cellTemperature(number)
        default: self = .balancing(number)
        }
    }

    /// Reads a wire name; an unknown name or a bad cell number is a `DecodingError` listing the accepted forms.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try SnapshotField(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: String(describing: error))
        }
    }

    /// Writes the wire name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
