/// One CAN or CAN FD frame as it travels on the bus: identifier, kind and payload, without flag bits mixed into
/// the identifier.
///
/// A frame is always valid once built: the identifier fits its format (11 or 29 bits), a classic frame carries
/// at most 8 bytes, an FD frame one of the FD lengths (0–8, 12, 16, 20, 24, 32, 48, 64), a remote frame no data
/// but a requested length of 0–8, an error frame at most 8 bytes. `CANFrame+Linux.swift` converts to and from
/// the Linux `can_id` word.
public struct CANFrame: Sendable, Hashable, CustomStringConvertible {
    /// The highest 11-bit (CAN 2.0A) identifier.
    public static let maximumStandardID: UInt32 = 0x7FF
    /// The highest 29-bit (CAN 2.0B) identifier.
    public static let maximumExtendedID: UInt32 = 0x1FFF_FFFF
    /// The most bytes a classic frame carries.
    public static let maximumClassicLength = 8
    /// The payload lengths a CAN FD frame may have, in DLC order (DLC 0–15).
    public static let fdLengths: [Int] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64]

    /// The identifier: 11 bits for a standard frame, 29 for an extended one. For an error frame, the error
    /// class bits (Linux `CAN_ERR_MASK`).
    public let id: UInt32
    /// A 29-bit (CAN 2.0B) identifier.
    public let isExtended: Bool
    /// A remote transmission request: no data, only `requestedLength`.
    public let isRemote: Bool
    /// The length a remote frame asks for (0–8); 0 for every other frame.
    public let requestedLength: Int
    /// An error frame reported by the controller (Linux `CAN_ERR_FLAG`); `id` holds the error class.
    public let isError: Bool
    /// A CAN FD frame.
    public let isFD: Bool
    /// CAN FD bit rate switch (BRS): the data phase ran at the data bit rate. Always `false` for classic frames.
    public let bitRateSwitch: Bool
    /// CAN FD error state indicator (ESI): the sender was error passive. Always `false` for classic frames.
    public let errorStateIndicator: Bool
    /// The payload.
    public let data: [UInt8]

    /// A frame, checked in full.
    ///
    /// - Parameters:
    ///   - id: 11-bit (or 29-bit when `isExtended`) identifier; for an error frame the error class (29 bits).
    ///   - requestedLength: for a remote frame only, the length it requests (0–8).
    /// - Throws: `CANFrameError` naming the first rule the frame breaks.
    public init(
        id: UInt32, isExtended: Bool = false, data: [UInt8] = [], isRemote: Bool = false, requestedLength: Int = 0,
        isError: Bool = false, isFD: Bool = false, bitRateSwitch: Bool = false, errorStateIndicator: Bool = false
    ) throws(CANFrameError) {
        if isError {
            guard !isRemote, !isFD else { throw CANFrameError.conflictingKinds("an error frame cannot be remote or FD") }
            guard id <= Self.maximumExtendedID else { throw CANFrameError.idOutOfRange(id: id, isExtended: true) }
        } else if id > (isExtended ? Self.maximumExtendedID : Self.maximumStandardID) {
            throw CANFrameError.idOutOfRange(id: id, isExtended: isExtended)
        }
        if isRemote {
            guard !isFD else { throw CANFrameError.conflictingKinds("CAN FD has no remote frames") }
            guard data.isEmpty else { throw CANFrameError.remoteFrameWithData(count: data.count) }
            guard (0...Self.maximumClassicLength).contains(requestedLength) else {
                throw CANFrameError.requestedLengthOutOfRange(requestedLength)
            }
        } else if requestedLength != 0 {
            throw CANFrameError.conflictingKinds("only a remote frame has a requested length")
        }
        if isFD {
            guard Self.fdLengths.contains(data.count) else { throw CANFrameError.invalidFDLength(data.count) }
        } else {
            guard !bitRateSwitch, !errorStateIndicator else {
                throw CANFrameError.conflictingKinds("BRS and ESI exist only on CAN FD frames")
            }
            guard data.count <= Self.maximumClassicLength else {
                throw CANFrameError.dataTooLong(count: data.count, maximum: Self.maximumClassicLength)
            }
        }
        self.id = id
        self.isExtended = isError ? false : isExtended
        self.isRemote = isRemote
        self.requestedLength = isRemote ? requestedLength : 0
        self.isError = isError
        self.isFD = isFD
        self.bitRateSwitch = bitRateSwitch
        self.errorStateIndicator = errorStateIndicator
        self.data = data
    }

    /// A classic 11-bit data frame for encoders that cannot fail: the identifier is cut to 11 bits and the
    /// data to 8 bytes, so the frame is valid whatever is passed.
    init(standardID id: UInt32, classicData data: [UInt8]) {
        self.id = id & Self.maximumStandardID
        self.isExtended = false
        self.isRemote = false
        self.requestedLength = 0
        self.isError = false
        self.isFD = false
        self.bitRateSwitch = false
        self.errorStateIndicator = false
        self.data = Array(data.prefix(Self.maximumClassicLength))
    }

    /// A remote frame requesting `requestedLength` bytes.
    /// - Throws: `CANFrameError` for an identifier out of range or a length beyond 8.
    public static func remote(id: UInt32, isExtended: Bool = false, requestedLength: Int = 0) throws(CANFrameError) -> CANFrame {
        try CANFrame(id: id, isExtended: isExtended, isRemote: true, requestedLength: requestedLength)
    }

    /// An error frame with error class `errorClass` (Linux `CAN_ERR_*` bits) and its detail bytes.
    /// - Throws: `CANFrameError` for a class wider than 29 bits or more than 8 bytes.
    public static func error(class errorClass: UInt32, data: [UInt8] = []) throws(CANFrameError) -> CANFrame {
        try CANFrame(id: errorClass, data: data, isError: true)
    }

    /// The length on the wire: the payload length, or the requested length of a remote frame.
    public var length: Int { isRemote ? requestedLength : data.count }

    /// The 4-bit DLC code of `length` (FD lengths above 8 map to 9–15).
    public var dlc: UInt8 { Self.dlc(forLength: length) ?? 0 }

    /// The DLC code of a valid classic or FD length, or `nil` for a length no frame can have.
    public static func dlc(forLength length: Int) -> UInt8? {
        fdLengths.firstIndex(of: length).map { UInt8($0) }
    }

    /// The payload length of a DLC code (0–15, FD meaning above 8), or `nil` beyond 15.
    public static func fdLength(forDLC dlc: Int) -> Int? {
        fdLengths.indices.contains(dlc) ? fdLengths[dlc] : nil
    }

    /// `356#7A13F2FE6B01`-style text (the candump frame notation).
    public var description: String { CandumpRecord.frameText(self) }
}

/// Why a frame could not be built.
public enum CANFrameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The identifier does not fit 11 bits (standard) or 29 bits (extended).
    case idOutOfRange(id: UInt32, isExtended: Bool)
    /// A classic frame with more than 8 bytes.
    case dataTooLong(count: Int, maximum: Int)
    /// A CAN FD frame whose length is not one of 0–8, 12, 16, 20, 24, 32, 48, 64.
    case invalidFDLength(Int)
    /// A remote frame carrying data.
    case remoteFrameWithData(count: Int)
    /// A remote frame requesting a length outside 0–8.
    case requestedLengthOutOfRange(Int)
    /// Flags that cannot go together (remote FD frame, BRS on a classic frame, …).
    case conflictingKinds(String)

    /// What is wrong, with the values involved.
    public var description: String {
        switch self {
        case .idOutOfRange(let id, let isExtended):
            "identifier 0x\(CANHex.string(id, width: 1)) does not fit \(isExtended ? "29" : "11") bits"
        case .dataTooLong(let count, let maximum):
            "\(count) data bytes; a classic frame carries at most \(maximum)"
        case .invalidFDLength(let count):
            "\(count) data bytes is not a CAN FD length (0-8, 12, 16, 20, 24, 32, 48, 64)"
        case .remoteFrameWithData(let count):
            "a remote frame carries no data, got \(count) bytes"
        case .requestedLengthOutOfRange(let length):
            "a remote frame requests 0 to 8 bytes, not \(length)"
        case .conflictingKinds(let reason):
            reason
        }
    }
}
