import Foundation

/// sd_notify without libsystemd: one datagram per state change to the socket systemd names in
/// `NOTIFY_SOCKET` ("@" means the abstract namespace).
struct SystemdNotifier: Sendable {
    let socketPath: String
    /// Half of systemd's watchdog interval (`WATCHDOG_USEC`), when the unit has a watchdog.
    let watchdogInterval: Duration?

    /// The notifier for this process, or `nil` when not started by systemd with `Type=notify`.
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> SystemdNotifier? {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        let interval = environment["WATCHDOG_USEC"].flatMap(Int64.init).map { Duration.microseconds($0) / 2 }
        return SystemdNotifier(socketPath: path, watchdogInterval: interval)
    }

    /// Sends `state` (e.g. `READY=1`); returns false if the datagram could not be sent.
    @discardableResult
    func notify(_ state: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, socketAddress, length) }
            }
        }
        return sent == bytes.count
    }
}
