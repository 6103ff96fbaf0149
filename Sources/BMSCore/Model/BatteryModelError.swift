/// Parameters of a battery model that are outside their physical range, all collected in one pass.
public struct BatteryModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One parameter that is out of range.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The parameter, spelled as in the initializer that rejected it.
        public var parameter: String
        /// What is wrong with it, including the value received.
        public var reason: String

        /// A problem of `parameter`.
        public init(parameter: String, reason: String) {
            self.parameter = parameter
            self.reason = reason
        }

        /// `parameter: reason`.
        public var description: String { "\(parameter): \(reason)" }
    }

    /// Every problem found.
    public var problems: [Problem]

    /// An error listing `problems`.
    public init(_ problems: [Problem]) {
        self.problems = problems
    }

    /// The problems, separated by semicolons.
    public var description: String {
        problems.map(\.description).joined(separator: "; ")
    }
}

/// Collects out-of-range parameters so that an initializer reports all of them at once.
struct ModelParameterChecks {
    private(set) var problems: [BatteryModelError.Problem] = []

    /// Records a problem of `parameter` unless `condition` holds.
    mutating func require(_ condition: Bool, _ parameter: String, _ reason: @autoclosure () -> String) {
        if !condition { problems.append(.init(parameter: parameter, reason: reason())) }
    }

    /// Requires a finite value greater than zero.
    mutating func requirePositive(_ value: Double, _ parameter: String) {
        require(value.isFinite && value > 0, parameter, "must be finite and greater than 0 (got \(value))")
    }

    /// Requires a finite value of zero or more.
    mutating func requireNonNegative(_ value: Double, _ parameter: String) {
        require(value.isFinite && value >= 0, parameter, "must be finite and at least 0 (got \(value))")
    }

    /// Requires a finite value.
    mutating func requireFinite(_ value: Double, _ parameter: String) {
        require(value.isFinite, parameter, "must be finite (got \(value))")
    }

    /// Throws every recorded problem, if there is any.
    func throwIfAny() throws(BatteryModelError) {
        guard problems.isEmpty else { throw BatteryModelError(problems) }
    }
}
