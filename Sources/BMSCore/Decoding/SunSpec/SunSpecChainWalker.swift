/// Walks a SunSpec model chain one header at a time, for an I/O loop that reads as it goes.
///
/// After checking the marker at the base address, the loop reads the ID and `L` registers at
/// `nextAddress` and hands them to `advance(id:length:)` until it answers `.end`:
///
/// ```swift
/// var walker = SunSpecChainWalker(baseAddress: 40000)
/// while true {
///     let words = try read(walker.nextAddress, count: 2)   // or 1 if the device omits L on the end model
///     guard case .model(let header) = try walker.advance(id: words[0], length: words.count > 1 ? words[1] : nil)
///     else { break }
/// }
/// ```
///
/// The walk is capped at `maximumModelCount` models and never leaves the 16-bit address space, so a
/// device that answers garbage ends in an error rather than an endless loop.
public struct SunSpecChainWalker: Sendable, Equatable {
    /// What the walker found at the last address.
    public enum Step: Sendable, Equatable {
        /// A model; the next header is at `SunSpecModelChain.nextModelAddress(after:)`.
        case model(SunSpecModelHeader)
        /// The end marker (ID 0xFFFF): the chain is complete.
        case end
    }

    /// The most models a chain may hold before the walk is abandoned.
    public static let defaultMaximumModelCount = 64

    /// Address of the next ID register to read.
    public private(set) var nextAddress: Int
    /// Every model found so far, in chain order.
    public private(set) var headers: [SunSpecModelHeader] = []
    /// Whether the end marker has been read.
    public private(set) var isFinished = false
    /// The cap on the number of models.
    public let maximumModelCount: Int

    /// A walker for the chain of a device whose "SunS" marker is at `baseAddress`.
    public init(baseAddress: Int, maximumModelCount: Int = SunSpecChainWalker.defaultMaximumModelCount) {
        self.nextAddress = baseAddress + 2
        self.maximumModelCount = maximumModelCount
    }

    /// Records the ID and `L` registers read at `nextAddress` and moves to the next model.
    ///
    /// - Parameters:
    ///   - id: The register at `nextAddress`.
    ///   - length: The register after it, or `nil` if it could not be read (allowed only for the end model).
    /// - Returns: `.model` with the header just read, or `.end` at the end marker (and on every call after it).
    /// - Throws: `SunSpecError.truncated` when `L` is missing on a model that is not the end marker,
    ///   `.chainTooLong` past `maximumModelCount` models, `.addressOutOfRange` when the next model would start
    ///   past address 65535.
    public mutating func advance(id: UInt16, length: UInt16?) throws(SunSpecError) -> Step {
        if isFinished { return .end }
        if id == SunSpecDiscovery.endModelID {
            isFinished = true
            return .end
        }
        guard let length else { throw SunSpecError.truncated(at: nextAddress + 1) }
        guard headers.count < maximumModelCount else {
            throw SunSpecError.chainTooLong(limit: maximumModelCount)
        }
        let header = SunSpecModelHeader(id: id, length: Int(length), address: nextAddress)
        let next = SunSpecModelChain.nextModelAddress(after: header)
        guard next <= 0xFFFF else { throw SunSpecError.addressOutOfRange(next) }
        headers.append(header)
        nextAddress = next
        return .model(header)
    }
}
