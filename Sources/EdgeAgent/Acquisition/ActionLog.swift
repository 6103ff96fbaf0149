import BMSCore
import Foundation
import Logging
import Synchronization

/// The local record of every protective action: one JSON object per line, appended and flushed at once,
/// so a technician (or an auditor) can see what the agent did to which pack and why, network or not.
final class ActionLog: Sendable {
    struct Entry: Codable, Sendable, Equatable {
        var timestamp: Timestamp
        var deviceID: String
        var command: String
        /// The alarm codes that called for it.
        var reasons: [String]
        /// "ok" or "failed: …".
        var result: String

        enum CodingKeys: String, CodingKey {
            case timestamp
            case deviceID = "device_id"
            case command, reasons, result
        }
    }

    private let path: String?
    private let logger: Logger
    private let entries = Mutex<[Entry]>([])

    /// A log appended to `path`, or kept in memory only when `path` is nil.
    init(path: String?, logger: Logger = Logger(label: "pulsebms.actions")) {
        self.path = path
        self.logger = logger
    }

    /// Entries recorded by this process.
    var recorded: [Entry] { entries.withLock { $0 } }

    func record(_ entry: Entry) {
        entries.withLock { $0.append(entry) }
        logger.warning(
            "Protective action",
            metadata: [
                "pack.id": "\(entry.deviceID)", "action": "\(entry.command)", "reasons": "\(entry.reasons)",
                "result": "\(entry.result)",
            ])
        guard let path, let data = try? WireCoding.encode(entry) else { return }
        // Append with O_APPEND: whole lines, even if two processes shared the file.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            logger.error("Cannot write the action log", metadata: ["path": "\(path)", "error": "\(String(cString: strerror(errno)))"])
            return
        }
        defer { close(descriptor) }
        let line = Array(data) + [0x0A]
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written != line.count {
            logger.error("Action log write incomplete", metadata: ["path": "\(path)", "error": "\(String(cString: strerror(errno)))"])
        }
    }
}
