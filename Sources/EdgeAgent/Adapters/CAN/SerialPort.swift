import Foundation

/// A serial device (a USB-serial slcan adapter, or a pseudo-terminal in tests) opened raw: no echo, no line
/// discipline, 8N1. Reads wait with `poll` and a timeout, so the owning thread can notice a stop request.
///
/// Held with an exclusive `flock` while open. Not thread-safe: one `CANBus` thread owns it.
final class SerialPort {
    let path: String
    private var descriptor: Int32

    /// Opens `path` and sets it raw at `baud` (ignored by pseudo-terminals and USB CDC adapters).
    init(path: String, baud: Int) throws(CANBusError) {
        self.path = path
        // Held in a local until every step has worked: a throw after `self.descriptor` is set would run
        // `deinit`, which would close the number a second time — by then perhaps another thread's file.
        let descriptor = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .open("cannot open \(path): \(String(cString: strerror(errno)))") }
        // Exclusive, as pyserial's `exclusive=True`: a second reader (another agent, a stale retry, ModemManager
        // probing a new ttyACM) would take bytes meant for this one, and answers to setup commands with them.
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "\(path) is in use by another program" : "cannot lock \(path): \(String(cString: strerror(errno)))"
            _ = Glibc.close(descriptor)
            throw .open(reason)
        }
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = Glibc.close(descriptor)
            throw .open("\(path) is not a serial device: \(reason)")
        }
        cfmakeraw(&settings)
        settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
        let speed = Self.speed(forBaud: baud)
        cfsetispeed(&settings, speed)
        cfsetospeed(&settings, speed)
        guard tcsetattr(descriptor, TCSANOW, &settings) == 0 else {
            let reason = String(cString: strerror(errno))
            _ = Glibc.close(descriptor)
            throw .open("cannot configure \(path): \(reason)")
        }
        self.descriptor = descriptor
    }

    deinit { close() }

    /// Closes the device; later reads and writes fail.
    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Waits up to `timeoutMilliseconds` for bytes and returns what arrived (empty after a timeout).
    /// - Throws: `CANBusError.linkDown` when the device is gone (unplugged adapter, closed pseudo-terminal).
    func read(timeoutMilliseconds: Int32) throws(CANBusError) -> [UInt8] {
        guard descriptor >= 0 else { throw .linkDown("\(path) is closed") }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeoutMilliseconds)
        if ready < 0 {
            if errno == EINTR { return [] }
            throw .linkDown("poll on \(path): \(String(cString: strerror(errno)))")
        }
        if ready == 0 { return [] }
        if poller.revents & Int16(POLLIN) == 0 && poller.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
            throw .linkDown("\(path) hung up")
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = Glibc.read(descriptor, &buffer, buffer.count)
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return [] }
            throw .linkDown("read from \(path): \(String(cString: strerror(errno)))")
        }
        if count == 0 { throw .linkDown("\(path) reached end of file") }
        return Array(buffer[..<count])
    }

    /// Writes every byte, waiting for the device to drain when its buffer is full (at most one second).
    func write(_ bytes: [UInt8]) throws(CANBusError) {
        guard descriptor >= 0 else { throw .linkDown("\(path) is closed") }
        var offset = 0
        var waits = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written > 0 {
                offset += written
            } else if written < 0 && (errno == EAGAIN || errno == EINTR) && waits < 100 {
                waits += 1
                var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&poller, 1, 10)
            } else {
                throw .linkDown("write to \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The termios speed constant for a baud rate; unknown rates fall back to 115 200.
    static func speed(forBaud baud: Int) -> speed_t {
        switch baud {
        case 9600: speed_t(B9600)
        case 19200: speed_t(B19200)
        case 38400: speed_t(B38400)
        case 57600: speed_t(B57600)
        case 230_400: speed_t(B230400)
        case 460_800: speed_t(B460800)
        case 921_600: speed_t(B921600)
        case 1_000_000: speed_t(B1000000)
        case 2_000_000: speed_t(B2000000)
        case 3_000_000: speed_t(B3000000)
        default: speed_t(B115200)
        }
    }
}

/// Why a CAN link failed.
enum CANBusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The interface or device could not be opened or configured.
    case open(String)
    /// The link went away after it was open.
    case linkDown(String)
    /// The adapter refused a command (slcan BEL) or the kernel refused a frame.
    case refused(String)
    /// The frame cannot be sent on this link (too long, FD on a classic link, nothing to send it with).
    case unsupported(String)

    var description: String {
        switch self {
        case .open(let reason): "cannot open the CAN link: \(reason)"
        case .linkDown(let reason): "CAN link down: \(reason)"
        case .refused(let reason): "refused: \(reason)"
        case .unsupported(let reason): "unsupported: \(reason)"
        }
    }
}
