import GRDB

/// A `WHERE` clause assembled from optional filters, with its arguments in order.
struct SQLFilter {
    private(set) var conditions: [String] = []
    private(set) var arguments: [(any DatabaseValueConvertible)?] = []

    mutating func add(_ condition: String, _ values: [(any DatabaseValueConvertible)?] = []) {
        conditions.append(condition)
        arguments.append(contentsOf: values)
    }

    /// `column IN (…)`; an empty list matches nothing.
    mutating func add(_ column: String, in values: [String]) {
        guard !values.isEmpty else { return add("0") }
        add("\(column) IN (\(values.map { _ in "?" }.joined(separator: ", ")))", values.map { $0 as (any DatabaseValueConvertible)? })
    }

    var clause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }

    func statementArguments(_ trailing: [(any DatabaseValueConvertible)?] = []) -> StatementArguments {
        StatementArguments(arguments + trailing)
    }
}
