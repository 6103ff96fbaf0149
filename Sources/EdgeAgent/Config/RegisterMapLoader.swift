import BMSCore
import Foundation
import Yams

/// Reads a register map file (YAML) and validates it in full.
enum RegisterMapLoader {
    /// Loads the map at `path`.
    /// - Throws: `ValidationFailure` with every problem, paths relative to the map file.
    static func load(path: String) throws(ValidationFailure) -> RegisterMap {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationFailure([FieldError(field: "", message: "Cannot read register map \(path): \(error.localizedDescription)")])
        }
        let tree = try ConfigurationLoader.tree(fromYAML: text)
        let map: RegisterMap
        do {
            map = try WireCoding.decode(RegisterMap.self, from: tree)
        } catch {
            throw ValidationFailure([FieldError(field: error.path, message: error.reason)])
        }
        return try map.validated()
    }
}
