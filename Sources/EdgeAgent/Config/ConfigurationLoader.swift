import BMSCore
import Foundation
import Yams

/// Reads an agent configuration file: YAML → tree → full validation → typed configuration.
///
/// Nothing is opened or connected until the whole file has been checked; every problem is reported at once.
enum ConfigurationLoader {
    /// Loads and validates the file at `path`.
    /// - Throws: `ValidationFailure` listing every problem with its key path.
    static func load(path: String) throws(ValidationFailure) -> AgentConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationFailure([FieldError(field: "", message: "Cannot read \(path): \(error.localizedDescription)")])
        }
        let configuration = try parse(yaml: text)
        // Register maps are part of the configuration: they are checked now too, before any bus is opened.
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        var problems: [FieldError] = []
        for (index, device) in configuration.devices.enumerated() where device.profile == .dbc {
            do {
                _ = try CANProfileLoader.load(device: device, configurationDirectory: directory)
            } catch {
                problems += error.fieldErrors.map {
                    FieldError(field: "devices[\(index)].\($0.field)", message: $0.message, receivedValue: $0.receivedValue)
                }
            }
        }
        for (index, device) in configuration.devices.enumerated() {
            guard let map = device.registerMap else { continue }
            do {
                _ = try RegisterMapLoader.load(path: resolve(map, relativeTo: directory))
            } catch {
                let field = "devices[\(index)].register_map"
                problems += error.fieldErrors.map {
                    FieldError(field: field, message: ($0.field.isEmpty ? "" : "\($0.field): ") + $0.message, receivedValue: $0.receivedValue)
                }
            }
        }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        return configuration
    }

    /// A path from the configuration file, relative to the file's folder unless absolute.
    static func resolve(_ path: String, relativeTo directory: URL) -> String {
        path.hasPrefix("/") ? path : directory.appendingPathComponent(path).standardizedFileURL.path
    }

    /// Validates YAML text.
    static func parse(yaml text: String) throws(ValidationFailure) -> AgentConfiguration {
        let tree = try tree(fromYAML: text)
        let errors = AgentConfiguration.fieldErrors(in: tree)
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        do {
            return try WireCoding.decode(AgentConfiguration.self, from: tree)
        } catch {
            throw ValidationFailure([FieldError(field: error.path, message: error.reason)])
        }
    }

    /// The JSON-like tree of a YAML document; a syntax error names its line and column.
    static func tree(fromYAML text: String) throws(ValidationFailure) -> JSONValue {
        do {
            return try YAMLDecoder().decode(JSONValue.self, from: text)
        } catch let error as YamlError {
            throw ValidationFailure([FieldError(field: "", message: "YAML syntax error: \(error)")])
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, let syntax = context.underlyingError as? YamlError {
                throw ValidationFailure([FieldError(field: "", message: "YAML syntax error: \(syntax)")])
            }
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw ValidationFailure([FieldError(field: "", message: "The file is empty or not a YAML mapping")])
            }
            throw ValidationFailure([FieldError(field: "", message: "Unreadable YAML: \(error)")])
        } catch {
            throw ValidationFailure([FieldError(field: "", message: "Unreadable YAML: \(error)")])
        }
    }
}
