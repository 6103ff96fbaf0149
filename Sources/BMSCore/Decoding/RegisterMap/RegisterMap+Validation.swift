extension RegisterMap {
    /// Every problem of the map, each with its path (`points[2].scale`) and the value received.
    ///
    /// Checks: a non-blank name; at least one point; each address in 0...65535 with its last register no
    /// higher than 65535; scale finite and non-zero; offset finite; no two points feeding the same field.
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if name.allSatisfy(\.isWhitespace) {
            errors.append(FieldError(field: "name", message: "Must not be empty", receivedValue: .string(name)))
        }
        if points.isEmpty {
            errors.append(
                FieldError(field: "points", message: "Must contain at least one point", receivedValue: .array([])))
        }
        var firstPointFeeding: [SnapshotField: Int] = [:]
        for (index, point) in points.enumerated() {
            let path = "points[\(index)]"
            let received = JSONValue.number(Double(point.address))
            if !(0...0xFFFF).contains(point.address) {
                errors.append(
                    FieldError(
                        field: "\(path).address", message: "Value must be between 0 and 65535",
                        receivedValue: received))
            } else if point.address > 0x1_0000 - point.registerCount {
                // The address is at most 65535 here, so the sum cannot overflow.
                let lastAddress = point.address + point.registerCount - 1
                errors.append(
                    FieldError(
                        field: "\(path).address",
                        message: "A \(point.type.rawValue) point takes \(point.registerCount) registers; "
                            + "the last one, \(lastAddress), is past 65535",
                        receivedValue: received))
            }
            if !point.scale.isFinite {
                errors.append(
                    FieldError(
                        field: "\(path).scale", message: "Must be a finite number",
                        receivedValue: Self.received(point.scale)))
            } else if point.scale == 0 {
                errors.append(
                    FieldError(field: "\(path).scale", message: "Must not be zero", receivedValue: .number(0)))
            }
            if !point.offset.isFinite {
                errors.append(
                    FieldError(
                        field: "\(path).offset", message: "Must be a finite number",
                        receivedValue: Self.received(point.offset)))
            }
            if let first = firstPointFeeding[point.field] {
                errors.append(
                    FieldError(
                        field: "\(path).field",
                        message: "Field '\(point.field.name)' is already fed by points[\(first)]",
                        receivedValue: .string(point.field.name)))
            } else {
                firstPointFeeding[point.field] = index
            }
        }
        return errors
    }

    /// The map itself if `validate()` finds nothing.
    ///
    /// - Throws: `ValidationFailure` listing every problem at once.
    public func validated() throws(ValidationFailure) -> RegisterMap {
        let errors = validate()
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        return self
    }

    /// A number as a received value; NaN and infinities become the marker strings validation uses elsewhere.
    private static func received(_ value: Double) -> JSONValue {
        if value.isNaN { return .string("NaN") }
        if value.isInfinite { return .string(value > 0 ? "+Infinity" : "-Infinity") }
        return .number(value)
    }
}
