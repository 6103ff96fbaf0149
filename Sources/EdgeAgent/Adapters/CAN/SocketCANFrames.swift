import BMSCore
import CSocketCAN
import Foundation

/// Conversions between `CANFrame` and the kernel's `can_frame` / `canfd_frame` / `can_filter` structures,
/// kept apart from the socket so they are tested on machines without AF_CAN.
enum SocketCANFrames {
    /// A classic frame in the kernel's layout.
    /// - Throws: `CANBusError.unsupported` for an FD frame or more than 8 bytes.
    static func classic(_ frame: CANFrame) throws(CANBusError) -> can_frame {
        guard !frame.isFD, frame.data.count <= 8 else {
            throw .unsupported("a \(frame.data.count)-byte\(frame.isFD ? " FD" : "") frame as classic CAN")
        }
        var raw = can_frame()
        raw.can_id = frame.linuxCANID
        raw.len = frame.linuxLength
        withUnsafeMutableBytes(of: &raw.data) { bytes in
            for (index, byte) in frame.data.enumerated() { bytes[index] = byte }
        }
        return raw
    }

    /// An FD frame in the kernel's layout (length rounded up to the next valid FD length by the caller's
    /// `CANFrame`, which accepts only valid lengths).
    static func fd(_ frame: CANFrame) -> canfd_frame {
        var raw = canfd_frame()
        raw.can_id = frame.linuxCANID
        raw.len = UInt8(min(frame.data.count, 64))
        raw.flags = frame.linuxFDFlags | UInt8(CANFD_FDF)
        withUnsafeMutableBytes(of: &raw.data) { bytes in
            for (index, byte) in frame.data.prefix(64).enumerated() { bytes[index] = byte }
        }
        return raw
    }

    /// The frame the kernel delivered in a `can_frame`-sized read (the first bytes of `raw`), or `nil` when
    /// its length is impossible.
    static func frame(classic raw: canfd_frame) -> CANFrame? {
        let length = Int(raw.len)
        guard length <= 8 else { return nil }
        let data = withUnsafeBytes(of: raw.data) { Array($0.prefix(length)) }
        return try? CANFrame(linuxCANID: raw.can_id, data: data, isFD: false, flags: 0)
    }

    /// The frame the kernel delivered in a `canfd_frame`-sized read, or `nil` when its length is impossible.
    static func frame(fd raw: canfd_frame) -> CANFrame? {
        let length = Int(raw.len)
        guard length <= 64 else { return nil }
        let data = withUnsafeBytes(of: raw.data) { Array($0.prefix(length)) }
        return try? CANFrame(linuxCANID: raw.can_id, data: data, isFD: true, flags: raw.flags)
    }

    /// The kernel filters for `filters`, in order.
    static func kernelFilters(_ filters: [CANFilter]) -> [can_filter] {
        filters.map { filter in
            let words = filter.linuxFilter
            return can_filter(can_id: words.id, can_mask: words.mask)
        }
    }

    /// The receive time in an `SO_TIMESTAMP` control message, if `control` holds one.
    ///
    /// The buffer holds `cmsghdr` (16 bytes on LP64) followed by a `timeval`; CMSG_* macros do not import
    /// into Swift, so the layout is read by hand.
    static func timestamp(fromControl control: [UInt8]) -> Timestamp? {
        let headerSize = MemoryLayout<cmsghdr>.size
        guard control.count >= headerSize + MemoryLayout<timeval>.size else { return nil }
        return control.withUnsafeBytes { bytes -> Timestamp? in
            let header = bytes.loadUnaligned(as: cmsghdr.self)
            guard header.cmsg_level == SOL_SOCKET, header.cmsg_type == SO_TIMESTAMP,
                Int(header.cmsg_len) >= headerSize + MemoryLayout<timeval>.size
            else { return nil }
            let time = bytes.loadUnaligned(fromByteOffset: headerSize, as: timeval.self)
            return Timestamp(millisecondsSinceEpoch: Int64(time.tv_sec) * 1000 + Int64(time.tv_usec) / 1000)
        }
    }
}

/// The link-level state of a SocketCAN interface, read and changed through libsocketcan (netlink).
struct SocketCANLink: Sendable {
    let interface: String

    /// The controller's error state (`CAN_STATE_*`).
    enum State: String, Sendable {
        case errorActive = "error_active"
        case errorWarning = "error_warning"
        case errorPassive = "error_passive"
        case busOff = "bus_off"
        case stopped, sleeping, unknown

        init(kernelState: Int32) {
            switch kernelState {
            case Int32(CAN_STATE_ERROR_ACTIVE.rawValue): self = .errorActive
            case Int32(CAN_STATE_ERROR_WARNING.rawValue): self = .errorWarning
            case Int32(CAN_STATE_ERROR_PASSIVE.rawValue): self = .errorPassive
            case Int32(CAN_STATE_BUS_OFF.rawValue): self = .busOff
            case Int32(CAN_STATE_STOPPED.rawValue): self = .stopped
            case Int32(CAN_STATE_SLEEPING.rawValue): self = .sleeping
            default: self = .unknown
            }
        }
    }

    func state() throws(CANBusError) -> State {
        var state: Int32 = 0
        guard can_get_state(interface, &state) == 0 else { throw .open("can_get_state(\(interface)) failed") }
        return State(kernelState: state)
    }

    /// The configured bitrate, bit/s.
    func bitrate() throws(CANBusError) -> Int {
        var timing = can_bittiming()
        guard can_get_bittiming(interface, &timing) == 0 else { throw .open("can_get_bittiming(\(interface)) failed") }
        return Int(timing.bitrate)
    }

    /// Sets the bitrate; the interface must be down (the kernel refuses otherwise).
    func setBitrate(_ bitrate: Int) throws(CANBusError) {
        guard bitrate > 0, bitrate <= 1_000_000, can_set_bitrate(interface, UInt32(bitrate)) == 0 else {
            throw .refused("can_set_bitrate(\(interface), \(bitrate))")
        }
    }

    /// Restarts the controller after bus-off.
    func restart() throws(CANBusError) {
        guard can_do_restart(interface) == 0 else { throw .refused("can_do_restart(\(interface))") }
    }
}
