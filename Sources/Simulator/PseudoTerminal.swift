import Foundation

/// A pseudo-terminal pair standing in for a USB-serial CAN adapter: the simulator owns the master side, and
/// the agent opens the slave side through a stable symlink, as it would `/dev/ttyACM0`.
///
/// The simulator keeps the slave open itself, set raw: a fresh slave echoes and edits lines, which would turn
/// the simulator's own output into input, and closing the agent's side would otherwise hang the master up.
final class PseudoTerminal {
    let master: Int32
    private let slave: Int32
    /// The slave's device path (`/dev/pts/N`).
    let slavePath: String
    /// The symlink the agent opens.
    let linkPath: String

    init(linkPath: String) throws {
        var masterSide: Int32 = -1
        var slaveSide: Int32 = -1
        var name = [CChar](repeating: 0, count: 256)
        guard openpty(&masterSide, &slaveSide, nil, nil, nil) == 0 else {
            throw SimulatorError("openpty: \(String(cString: strerror(errno)))")
        }
        let named = ttyname_r(slaveSide, &name, name.count)  // the error number, not errno
        guard named == 0 else {
            _ = close(slaveSide)
            _ = close(masterSide)
            throw SimulatorError("ttyname_r: \(String(cString: strerror(named)))")
        }
        // Close-on-exec, as the other descriptors the simulator opens.
        _ = fcntl(masterSide, F_SETFD, FD_CLOEXEC)
        _ = fcntl(slaveSide, F_SETFD, FD_CLOEXEC)
        master = masterSide
        slave = slaveSide
        slavePath = String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var settings = termios()
        tcgetattr(slave, &settings)
        cfmakeraw(&settings)
        tcsetattr(slave, TCSANOW, &settings)
        let flags = fcntl(master, F_GETFL)
        _ = fcntl(master, F_SETFL, flags | O_NONBLOCK)
        self.linkPath = linkPath
        unlink(linkPath)
        guard symlink(slavePath, linkPath) == 0 else {
            // `deinit` closes both sides: it runs when an initializer throws after setting every property.
            throw SimulatorError("cannot link \(linkPath) → \(slavePath): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        unlink(linkPath)
        _ = close(slave)
        _ = close(master)
    }

    /// Bytes the agent wrote, if any (non-blocking).
    func readAvailable() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(master, &buffer, buffer.count)
        return count > 0 ? Array(buffer[..<count]) : []
    }

    /// Writes to the agent; bytes that do not fit in the terminal's buffer (nobody reading) are dropped, as
    /// a real adapter drops frames nobody collects.
    func write(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
    }
}
