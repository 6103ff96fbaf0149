/// What a principal may do, in increasing order of privilege: viewer < operator < admin.
///
/// The raw values are the `role` claim of a token and the role column of an API key.
enum Role: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Reads devices, telemetry, fleet summaries and alerts.
    case viewer
    /// A viewer who may also send commands to devices.
    case `operator`
    /// An operator who may also register, change and delete devices and manage API keys.
    case admin

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .operator: 1
        case .admin: 2
        }
    }

    static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    var description: String { rawValue }
}

/// The kinds of operation the relay's routes perform, each with the least role allowed to perform it.
enum Permission: Sendable, Hashable, CaseIterable {
    /// Any GET under /api/v1 except /health (which needs no credentials at all).
    case read
    /// POST /commands/{device_id}.
    case sendCommand
    /// POST, PATCH and DELETE on /devices.
    case manageDevices

    /// The least role that holds this permission.
    var minimumRole: Role {
        switch self {
        case .read: .viewer
        case .sendCommand: .operator
        case .manageDevices: .admin
        }
    }
}
