/// A YAML-described Modbus register map for packs that do not speak SunSpec.
///
/// The agent decodes the YAML (with Yams) into this type, checks it with `validate()`, reads the blocks of
/// `readPlan()` and turns them into values with `decode(blocks:)`:
///
/// ```yaml
/// name: Generic LFP 16S
/// byte_order: big
/// points:
///   - { address: 0, table: holding, type: uint16, scale: 0.01, unit: V, field: pack_voltage }
///   - { address: 16, table: input, type: uint16, scale: 0.001, unit: V, field: "cell_voltage[1]" }
/// ```
public struct RegisterMap: Codable, Sendable, Equatable {
    /// Byte order within a register. Modbus registers are big-endian; no other order is supported.
    public enum ByteOrder: String, WireEnum {
        /// High byte first.
        case big
    }

    /// A name for logs and errors.
    public var name: String
    /// Byte order within each register; absent means `big`, the only one supported.
    public var byteOrder: ByteOrder?
    /// The points, in any order.
    public var points: [RegisterPoint]
    /// Writes that carry out local commands, by command name (`open_contactors`, `stop_power`, `reset_alarms`).
    public var commands: [String: RegisterWrite]?

    /// The command names a map may define.
    public static let commandNames: Set<String> = ["open_contactors", "stop_power", "reset_alarms", "start"]

    /// A register map.
    public init(name: String, byteOrder: ByteOrder? = nil, points: [RegisterPoint], commands: [String: RegisterWrite]? = nil) {
        self.name = name
        self.byteOrder = byteOrder
        self.points = points
        self.commands = commands
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case byteOrder = "byte_order"
        case points, commands
    }

    /// Reads a map, refusing unknown keys.
    public init(from decoder: any Decoder) throws {
        try Self.rejectUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        byteOrder = try container.decodeIfPresent(ByteOrder.self, forKey: .byteOrder)
        points = try container.decode([RegisterPoint].self, forKey: .points)
        commands = try container.decodeIfPresent([String: RegisterWrite].self, forKey: .commands)
        if let unknown = commands?.keys.sorted().first(where: { !Self.commandNames.contains($0) }) {
            throw DecodingError.dataCorruptedError(
                forKey: .commands, in: container,
                debugDescription: "unknown command '\(unknown)'; known commands: \(Self.commandNames.sorted().joined(separator: ", "))")
        }
    }

    /// Throws a `DecodingError` naming the first key of the object being decoded that is not in `known`.
    static func rejectUnknownKeys(in decoder: any Decoder, known: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let unknown = container.allKeys.filter { !known.contains($0.stringValue) }
        guard let first = unknown.min(by: { $0.stringValue < $1.stringValue }) else { return }
        throw DecodingError.dataCorruptedError(
            forKey: first, in: container,
            debugDescription: "unknown key '\(first.stringValue)'; accepted keys: \(known.joined(separator: ", "))")
    }
}

/// Any key of a YAML or JSON object, to find the ones a register map does not know.
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
