/// The Linux SocketCAN constants (`linux/can.h`), so that the conversions below are plain values and testable
/// without AF_CAN.
public enum LinuxCAN {
    /// `CAN_EFF_FLAG`: extended (29-bit) frame.
    public static let extendedFrameFlag: UInt32 = 0x8000_0000
    /// `CAN_RTR_FLAG`: remote transmission request.
    public static let remoteFrameFlag: UInt32 = 0x4000_0000
    /// `CAN_ERR_FLAG`: error frame.
    public static let errorFrameFlag: UInt32 = 0x2000_0000
    /// `CAN_SFF_MASK`: the 11 bits of a standard identifier.
    public static let standardIDMask: UInt32 = 0x0000_07FF
    /// `CAN_EFF_MASK`: the 29 bits of an extended identifier.
    public static let extendedIDMask: UInt32 = 0x1FFF_FFFF
    /// `CAN_ERR_MASK`: the error class bits of an error frame.
    public static let errorClassMask: UInt32 = 0x1FFF_FFFF
    /// `CAN_INV_FILTER`: set in a filter's `can_id` to invert it.
    public static let inverseFilterFlag: UInt32 = 0x2000_0000
    /// `CANFD_BRS` in `canfd_frame.flags`: bit rate switch.
    public static let bitRateSwitchFlag: UInt8 = 0x01
    /// `CANFD_ESI` in `canfd_frame.flags`: error state indicator.
    public static let errorStateIndicatorFlag: UInt8 = 0x02
    /// `CANFD_FDF` in `canfd_frame.flags` (Linux 5.14+): marks an FD frame; ignored when reading.
    public static let fdFrameFlag: UInt8 = 0x04
}

extension CANFrame {
    /// A frame read from a SocketCAN socket.
    ///
    /// - Parameters:
    ///   - linuxCANID: the `can_id` word with its `CAN_EFF_FLAG`, `CAN_RTR_FLAG` and `CAN_ERR_FLAG` bits.
    ///   - data: the first `len` bytes of the frame's data. For a remote frame pass `len` bytes too: their
    ///     contents are ignored and their count becomes `requestedLength`.
    ///   - isFD: the read returned a `canfd_frame` (`CANFD_MTU` bytes).
    ///   - flags: `canfd_frame.flags` (BRS, ESI); ignored for classic frames.
    /// - Throws: `CANFrameError` when the word and payload do not make a valid frame (a standard identifier
    ///   above 0x7FF, a classic frame longer than 8 bytes, …).
    public init(linuxCANID: UInt32, data: [UInt8], isFD: Bool = false, flags: UInt8 = 0) throws(CANFrameError) {
        if linuxCANID & LinuxCAN.errorFrameFlag != 0 {
            self = try CANFrame(id: linuxCANID & LinuxCAN.errorClassMask, data: data, isError: true)
            return
        }
        let isExtended = linuxCANID & LinuxCAN.extendedFrameFlag != 0
        // Bits 29-31 are flags; a standard identifier with bits above 0x7FF is refused by the initializer.
        let id = linuxCANID & LinuxCAN.extendedIDMask
        if linuxCANID & LinuxCAN.remoteFrameFlag != 0 {
            guard !isFD else { throw CANFrameError.conflictingKinds("CAN FD has no remote frames") }
            self = try CANFrame(id: id, isExtended: isExtended, isRemote: true, requestedLength: data.count)
            return
        }
        self = try CANFrame(
            id: id, isExtended: isExtended, data: data, isFD: isFD,
            bitRateSwitch: isFD && flags & LinuxCAN.bitRateSwitchFlag != 0,
            errorStateIndicator: isFD && flags & LinuxCAN.errorStateIndicatorFlag != 0)
    }

    /// The `can_id` word for SocketCAN: identifier plus `CAN_EFF_FLAG`, `CAN_RTR_FLAG` or `CAN_ERR_FLAG`.
    public var linuxCANID: UInt32 {
        var word = id
        if isError { return word | LinuxCAN.errorFrameFlag }
        if isExtended { word |= LinuxCAN.extendedFrameFlag }
        if isRemote { word |= LinuxCAN.remoteFrameFlag }
        return word
    }

    /// The `len` field: the payload length, or the requested length of a remote frame.
    public var linuxLength: UInt8 { UInt8(length) }

    /// `canfd_frame.flags` to send: BRS and ESI (0 for classic frames). `CANFD_FDF` is left out so that kernels
    /// before 5.14 accept the frame.
    public var linuxFDFlags: UInt8 {
        guard isFD else { return 0 }
        return (bitRateSwitch ? LinuxCAN.bitRateSwitchFlag : 0) | (errorStateIndicator ? LinuxCAN.errorStateIndicatorFlag : 0)
    }
}
