import BMSCore
import CSocketCAN
import Foundation

/// A raw SocketCAN socket bound to one interface (`can0`, `vcan0`, …), with kernel filters for just the ids
/// a profile needs, CAN FD frames when asked, and the kernel's receive timestamps.
///
/// Not thread-safe: one `CANBus` thread owns it.
final class SocketCANChannel: CANChannel {
    let interface: String
    let acceptsFD: Bool
    private var descriptor: Int32
    /// When the controller's state was last read; a bus-off controller is reported as a link failure, so the
    /// bus reopens it (and the opener restarts it through libsocketcan).
    private var lastStateCheck = ContinuousClock.now
    static let stateCheckInterval = Duration.seconds(1)

    /// Opens a raw socket on `interface` that passes only `filters` (all frames when empty).
    ///
    /// - Throws: `CANBusError.open` naming the failing call: `socket` (no AF_CAN in this kernel),
    ///   an unknown interface, or a refused option.
    init(interface: String, filters: [CANFilter], acceptsFD: Bool) throws(CANBusError) {
        self.interface = interface
        self.acceptsFD = acceptsFD
        descriptor = socket(PF_CAN, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), CAN_RAW)
        guard descriptor >= 0 else {
            throw .open("socket(PF_CAN, SOCK_RAW, CAN_RAW) for \(interface): \(String(cString: strerror(errno)))")
        }
        do throws(CANBusError) {
            try configure(filters: filters)
            try bind()
        } catch {
            _ = Glibc.close(descriptor)
            descriptor = -1
            throw error
        }
    }

    deinit { close() }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    private func configure(filters: [CANFilter]) throws(CANBusError) {
        let kernelFilters = SocketCANFrames.kernelFilters(filters)
        let level = SOL_CAN_BASE + CAN_RAW
        if !kernelFilters.isEmpty {
            let status = kernelFilters.withUnsafeBytes {
                setsockopt(descriptor, level, Int32(CAN_RAW_FILTER), $0.baseAddress, socklen_t($0.count))
            }
            guard status == 0 else { throw .open("CAN_RAW_FILTER on \(interface): \(String(cString: strerror(errno)))") }
        }
        if acceptsFD {
            var on: Int32 = 1
            guard setsockopt(descriptor, level, Int32(CAN_RAW_FD_FRAMES), &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw .open("CAN_RAW_FD_FRAMES on \(interface): \(String(cString: strerror(errno)))")
            }
        }
        var on: Int32 = 1
        guard setsockopt(descriptor, SOL_SOCKET, SO_TIMESTAMP, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw .open("SO_TIMESTAMP on \(interface): \(String(cString: strerror(errno)))")
        }
    }

    private func bind() throws(CANBusError) {
        let index = if_nametoindex(interface)
        guard index > 0 else { throw .open("no network interface named \(interface)") }
        var address = sockaddr_can()
        address.can_family = sa_family_t(AF_CAN)
        address.can_ifindex = Int32(index)
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_can>.size))
            }
        }
        guard status == 0 else { throw .open("bind to \(interface): \(String(cString: strerror(errno)))") }
    }

    /// Waits up to `timeoutMilliseconds` for one frame. Returns `nil` after a timeout, and the frame with
    /// the kernel's receive time otherwise; a frame the kernel delivers malformed is reported as `.malformed`.
    func receive(timeoutMilliseconds: Int32) throws(CANBusError) -> CANReception? {
        guard descriptor >= 0 else { throw .linkDown("\(interface) is closed") }
        if ContinuousClock.now - lastStateCheck >= Self.stateCheckInterval {
            lastStateCheck = ContinuousClock.now
            if (try? SocketCANLink(interface: interface).state()) == .busOff {
                throw .linkDown("\(interface) is bus-off")
            }
        }
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeoutMilliseconds)
        if ready < 0 {
            if errno == EINTR { return nil }
            throw .linkDown("poll on \(interface): \(String(cString: strerror(errno)))")
        }
        if ready == 0 { return nil }
        var frame = canfd_frame()
        var control = [UInt8](repeating: 0, count: 64)
        let count = withUnsafeMutableBytes(of: &frame) { frameBytes in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: frameBytes.baseAddress, iov_len: frameBytes.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    return recvmsg(descriptor, &message, 0)
                }
            }
        }
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return nil }
            throw .linkDown("recvmsg on \(interface): \(String(cString: strerror(errno)))")
        }
        let received = SocketCANFrames.timestamp(fromControl: control) ?? Timestamp(Date())
        switch count {
        case MemoryLayout<can_frame>.size:
            return SocketCANFrames.frame(classic: frame).map { .frame($0, at: received) }
                ?? .malformed("a classic frame with length \(frame.len)")
        case MemoryLayout<canfd_frame>.size:
            return SocketCANFrames.frame(fd: frame).map { .frame($0, at: received) }
                ?? .malformed("an FD frame with length \(frame.len)")
        default:
            return .malformed("a read of \(count) bytes, neither CAN_MTU nor CANFD_MTU")
        }
    }

    /// Sends one frame. An FD frame needs a socket opened with `acceptsFD`.
    func send(_ frame: CANFrame) throws(CANBusError) {
        guard descriptor >= 0 else { throw .linkDown("\(interface) is closed") }
        let written: Int
        if frame.isFD {
            guard acceptsFD else { throw .unsupported("an FD frame on \(interface), opened for classic CAN") }
            var raw = SocketCANFrames.fd(frame)
            written = withUnsafeBytes(of: &raw) { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written == MemoryLayout<canfd_frame>.size else { throw sendError(written) }
        } else {
            var raw = try SocketCANFrames.classic(frame)
            written = withUnsafeBytes(of: &raw) { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written == MemoryLayout<can_frame>.size else { throw sendError(written) }
        }
    }

    private func sendError(_ written: Int) -> CANBusError {
        written < 0
            ? .refused("write to \(interface): \(String(cString: strerror(errno)))")
            : .refused("short write of \(written) bytes to \(interface)")
    }
}

/// What one receive produced.
enum CANReception: Sendable, Equatable {
    /// A frame and when it arrived.
    case frame(CANFrame, at: Timestamp)
    /// Something arrived that is not a frame; counted and skipped.
    case malformed(String)
}
