/// Collects `FieldError`s while walking a JSON tree: each check records what is wrong with the dotted path
/// and the received value, and returns the value when it is right.
public struct FieldValidator: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    /// `prefix.key`, or `key` at the top level.
    public static func join(_ prefix: String, _ key: String) -> String {
        prefix.isEmpty ? key : "\(prefix).\(key)"
    }

    public mutating func fail(_ field: String, _ message: String, _ received: JSONValue?) {
        errors.append(FieldError(field: field, message: message, receivedValue: received))
    }

    /// The members of the object at `path`; records an error if it is missing (when required) or not an object.
    public mutating func object(_ value: JSONValue?, at path: String, required: Bool) -> JSONObject? {
        guard let value, value != .null else {
            if required { fail(path, "Field is required", value) }
            return nil
        }
        guard let members = value.objectValue else {
            fail(path, "Must be an object", value)
            return nil
        }
        return members
    }

    /// The elements of the array at `path`; records an error if it is missing (when required) or not an array.
    public mutating func array(_ value: JSONValue?, at path: String, required: Bool) -> [JSONValue]? {
        guard let value, value != .null else {
            if required { fail(path, "Field is required", value) }
            return nil
        }
        guard let elements = value.arrayValue else {
            fail(path, "Must be an array", value)
            return nil
        }
        return elements
    }

    /// Adds errors found by another check, their fields placed under `prefix`.
    public mutating func merge(_ nested: [FieldError], under prefix: String) {
        for error in nested {
            let field = error.field.isEmpty ? prefix : Self.join(prefix, error.field)
            errors.append(FieldError(field: field, message: error.message, receivedValue: error.receivedValue))
        }
    }

    /// Records every key of `members` that is not in `known`.
    public mutating func rejectUnknownKeys(_ members: JSONObject, known: Set<String>, prefix: String) {
        for key in members.keys.sorted() where !known.contains(key) {
            fail(Self.join(prefix, key), "Unknown field", members[key])
        }
    }

    public mutating func string(
        _ members: JSONObject, _ key: String, prefix: String, required: Bool
    ) -> String? {
        let path = Self.join(prefix, key)
        guard let value = members[key], value != .null else {
            if required { fail(path, "Field is required", members[key]) }
            return nil
        }
        guard let text = value.stringValue else {
            fail(path, "Must be a string", value)
            return nil
        }
        return text
    }

    /// A finite number, optionally within `range`.
    public mutating func number(
        _ members: JSONObject, _ key: String, prefix: String, required: Bool,
        range: ClosedRange<Double>? = nil, greaterThan lowerExclusive: Double? = nil
    ) -> Double? {
        let path = Self.join(prefix, key)
        guard let value = members[key], value != .null else {
            if required { fail(path, "Field is required", members[key]) }
            return nil
        }
        return number(value, at: path, range: range, greaterThan: lowerExclusive)
    }

    public mutating func number(
        _ value: JSONValue, at path: String, range: ClosedRange<Double>? = nil, greaterThan lowerExclusive: Double? = nil
    ) -> Double? {
        guard let number = value.numberValue else {
            if let text = value.stringValue, JSONValue.nonFiniteMarkers.contains(text) {
                fail(path, "Must be a finite number", value)
            } else {
                fail(path, "Must be a number", value)
            }
            return nil
        }
        guard number.isFinite else {
            fail(path, "Must be a finite number", value)
            return nil
        }
        if let range, !range.contains(number) {
            fail(path, "Value must be between \(format(range.lowerBound)) and \(format(range.upperBound))", value)
            return nil
        }
        if let lowerExclusive, number <= lowerExclusive {
            fail(path, "Value must be greater than \(format(lowerExclusive))", value)
            return nil
        }
        return number
    }

    /// A boolean (`true` or `false`, never a number or a string).
    public mutating func boolean(_ members: JSONObject, _ key: String, prefix: String, required: Bool) -> Bool? {
        let path = Self.join(prefix, key)
        guard let value = members[key], value != .null else {
            if required { fail(path, "Field is required", members[key]) }
            return nil
        }
        guard case .bool(let flag) = value else {
            fail(path, "Must be true or false", value)
            return nil
        }
        return flag
    }

    /// A whole number, at least `minimum` and at most `maximum`.
    public mutating func integer(
        _ members: JSONObject, _ key: String, prefix: String, required: Bool, minimum: Int, maximum: Int? = nil
    ) -> Int? {
        let path = Self.join(prefix, key)
        guard let value = members[key], value != .null else {
            if required { fail(path, "Field is required", members[key]) }
            return nil
        }
        guard let number = value.numberValue, number.isFinite, number == number.rounded(),
            abs(number) < 9_007_199_254_740_992
        else {
            fail(path, "Must be an integer", value)
            return nil
        }
        if let maximum {
            guard number >= Double(minimum), number <= Double(maximum) else {
                fail(path, "Value must be between \(minimum) and \(maximum)", value)
                return nil
            }
        } else if number < Double(minimum) {
            fail(path, "Value must be at least \(minimum)", value)
            return nil
        }
        return Int(number)
    }

    public mutating func enumValue<Value: WireEnum>(
        _ type: Value.Type, _ members: JSONObject, _ key: String, prefix: String, required: Bool
    ) -> Value? {
        let path = Self.join(prefix, key)
        guard let value = members[key], value != .null else {
            if required { fail(path, "Field is required", members[key]) }
            return nil
        }
        guard let text = value.stringValue, let result = Value(rawValue: text) else {
            fail(path, Value.mustBeOneOfMessage, value)
            return nil
        }
        return result
    }

    /// Records every number in `value` that is not finite. (JSON text cannot carry one; a typed value can.)
    public mutating func requireFiniteNumbers(in value: JSONValue, at path: String) {
        switch value {
        case .number(let number) where !number.isFinite:
            fail(path, "Must be a finite number", value)
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                requireFiniteNumbers(in: element, at: "\(path)[\(index)]")
            }
        case .object(let members):
            for key in members.keys.sorted() {
                if let member = members[key] { requireFiniteNumbers(in: member, at: Self.join(path, key)) }
            }
        default:
            break
        }
    }
}

/// A number as people write it: `10000`, not `10000.0`.
func format(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
}
