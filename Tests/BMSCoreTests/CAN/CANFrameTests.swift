import Testing
import TestSupport

@testable import BMSCore

/// Frames: validation, the Linux `can_id` word both ways, and acceptance filters.
@Suite("CAN frames and filters")
struct CANFrameTests {
    // MARK: - Validation

    @Test func validFramesOfEveryKind() throws {
        let standard = try CANFrame(id: 0x7FF, data: [1, 2, 3])
        #expect(!standard.isExtended && standard.length == 3 && standard.dlc == 3)
        let extended = try CANFrame(id: 0x1FFF_FFFF, isExtended: true, data: [UInt8](repeating: 0, count: 8))
        #expect(extended.isExtended && extended.dlc == 8)
        let remote = try CANFrame.remote(id: 0x123, requestedLength: 7)
        #expect(remote.isRemote && remote.data.isEmpty && remote.length == 7)
        let fd = try CANFrame(id: 0x123, data: [UInt8](repeating: 0xAA, count: 64), isFD: true, bitRateSwitch: true)
        #expect(fd.dlc == 15 && fd.bitRateSwitch && !fd.errorStateIndicator)
        let error = try CANFrame.error(class: 0x80, data: [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(error.isError && !error.isExtended && error.id == 0x80)
        for (length, dlc) in zip(CANFrame.fdLengths, 0...15) {
            #expect(CANFrame.dlc(forLength: length) == UInt8(dlc))
            #expect(CANFrame.fdLength(forDLC: dlc) == length)
        }
        #expect(CANFrame.dlc(forLength: 9) == nil)
        #expect(CANFrame.fdLength(forDLC: 16) == nil)
    }

    @Test func invalidFramesAreRefused() {
        #expect(throws: CANFrameError.idOutOfRange(id: 0x800, isExtended: false)) { try CANFrame(id: 0x800) }
        #expect(throws: CANFrameError.idOutOfRange(id: 0x2000_0000, isExtended: true)) {
            try CANFrame(id: 0x2000_0000, isExtended: true)
        }
        #expect(throws: CANFrameError.dataTooLong(count: 9, maximum: 8)) {
            try CANFrame(id: 1, data: [UInt8](repeating: 0, count: 9))
        }
        #expect(throws: CANFrameError.invalidFDLength(9)) {
            try CANFrame(id: 1, data: [UInt8](repeating: 0, count: 9), isFD: true)
        }
        #expect(throws: CANFrameError.remoteFrameWithData(count: 1)) { try CANFrame(id: 1, data: [1], isRemote: true) }
        #expect(throws: CANFrameError.requestedLengthOutOfRange(9)) { try CANFrame.remote(id: 1, requestedLength: 9) }
        #expect(throws: CANFrameError.conflictingKinds("CAN FD has no remote frames")) {
            try CANFrame(id: 1, isRemote: true, isFD: true)
        }
        #expect(throws: CANFrameError.conflictingKinds("BRS and ESI exist only on CAN FD frames")) {
            try CANFrame(id: 1, bitRateSwitch: true)
        }
        #expect(throws: CANFrameError.conflictingKinds("only a remote frame has a requested length")) {
            try CANFrame(id: 1, requestedLength: 3)
        }
        #expect(throws: CANFrameError.conflictingKinds("an error frame cannot be remote or FD")) {
            try CANFrame(id: 1, isRemote: true, isError: true)
        }
        #expect(throws: CANFrameError.idOutOfRange(id: 0x2000_0000, isExtended: true)) {
            try CANFrame.error(class: 0x2000_0000)
        }
        #expect(CANFrameError.invalidFDLength(9).description.contains("CAN FD length"))
        #expect(CANFrameError.idOutOfRange(id: 0x800, isExtended: false).description == "identifier 0x800 does not fit 11 bits")
    }

    // MARK: - Linux can_id

    @Test func linuxWordsBothWays() throws {
        let standard = try CANFrame(id: 0x356, data: [0x7A, 0x13])
        #expect(standard.linuxCANID == 0x356)
        #expect(try CANFrame(linuxCANID: 0x356, data: [0x7A, 0x13]) == standard)

        let extended = try CANFrame(id: 0x18FF_50E5, isExtended: true, data: [1])
        #expect(extended.linuxCANID == 0x98FF_50E5)
        #expect(try CANFrame(linuxCANID: 0x98FF_50E5, data: [1]) == extended)

        let remote = try CANFrame.remote(id: 0x123, isExtended: true, requestedLength: 4)
        #expect(remote.linuxCANID == 0xC000_0123)
        #expect(remote.linuxLength == 4)
        // A remote frame read from the socket: `len` bytes whose contents do not matter.
        #expect(try CANFrame(linuxCANID: 0xC000_0123, data: [9, 9, 9, 9]) == remote)

        let error = try CANFrame.error(class: 0x04, data: [0, 0x10, 0, 0, 0, 0, 0, 0])
        #expect(error.linuxCANID == 0x2000_0004)
        #expect(try CANFrame(linuxCANID: 0x2000_0004, data: error.data) == error)

        let fd = try CANFrame(id: 0x123, data: [UInt8](repeating: 1, count: 12), isFD: true, bitRateSwitch: true, errorStateIndicator: true)
        #expect(fd.linuxFDFlags == LinuxCAN.bitRateSwitchFlag | LinuxCAN.errorStateIndicatorFlag)
        #expect(try CANFrame(linuxCANID: 0x123, data: fd.data, isFD: true, flags: 0x07) == fd)  // FDF is ignored
        // Flags mean nothing on a classic frame.
        #expect(try CANFrame(linuxCANID: 0x123, data: [1], flags: 0x03).bitRateSwitch == false)
        #expect(try CANFrame(id: 1).linuxFDFlags == 0)
    }

    @Test func invalidLinuxWordsAreRefused() {
        #expect(throws: CANFrameError.idOutOfRange(id: 0x800, isExtended: false)) { try CANFrame(linuxCANID: 0x800, data: []) }
        #expect(throws: CANFrameError.dataTooLong(count: 9, maximum: 8)) {
            try CANFrame(linuxCANID: 0x1, data: [UInt8](repeating: 0, count: 9))
        }
        #expect(throws: CANFrameError.conflictingKinds("CAN FD has no remote frames")) {
            try CANFrame(linuxCANID: 0x4000_0001, data: [], isFD: true)
        }
        #expect(throws: CANFrameError.requestedLengthOutOfRange(12)) {
            try CANFrame(linuxCANID: 0x4000_0001, data: [UInt8](repeating: 0, count: 12))
        }
    }

    @Test func randomFramesSurviveTheLinuxWord() throws {
        var generator = SplitMix64(seed: 5)
        for _ in 0..<2000 {
            let frame = Self.randomFrame(&generator)
            let back = try CANFrame(
                linuxCANID: frame.linuxCANID, data: frame.isRemote ? [UInt8](repeating: 0, count: frame.requestedLength) : frame.data,
                isFD: frame.isFD, flags: frame.linuxFDFlags)
            #expect(back == frame)
        }
    }

    /// A valid frame of any kind.
    static func randomFrame(_ generator: inout SplitMix64) -> CANFrame {
        let kind = generator.next() % 5
        let extended = generator.next() % 2 == 0
        let id = UInt32(truncatingIfNeeded: generator.next()) & (extended ? 0x1FFF_FFFF : 0x7FF)
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
        let frame: CANFrame?
        switch kind {
        case 0: frame = try? CANFrame.remote(id: id, isExtended: extended, requestedLength: Int(generator.next() % 9))
        case 1:
            let length = CANFrame.fdLengths[Int(generator.next() % 16)]
            frame = try? CANFrame(
                id: id, isExtended: extended, data: bytes(length), isFD: true, bitRateSwitch: generator.next() % 2 == 0,
                errorStateIndicator: generator.next() % 2 == 0)
        case 2: frame = try? CANFrame.error(class: id, data: bytes(Int(generator.next() % 9)))
        default: frame = try? CANFrame(id: id, isExtended: extended, data: bytes(Int(generator.next() % 9)))
        }
        return frame ?? CANFrame(standardID: 0x100, classicData: [])
    }

    // MARK: - Filters

    @Test func filterWordsAndMatching() throws {
        let exact = CANFilter.exact(id: 0x356)
        #expect(exact.linuxFilter.id == 0x356)
        #expect(exact.linuxFilter.mask == 0x7FF | LinuxCAN.extendedFrameFlag | LinuxCAN.remoteFrameFlag)
        #expect(try exact.matches(CANFrame(id: 0x356)))
        #expect(try !exact.matches(CANFrame(id: 0x357)))
        #expect(try !exact.matches(CANFrame(id: 0x356, isExtended: true)))
        #expect(try !exact.matches(CANFrame.remote(id: 0x356)))

        let extended = CANFilter(id: 0x18FF_0000, mask: 0x1FFF_0000, isExtended: true)
        #expect(extended.linuxFilter.id == 0x98FF_0000)
        #expect(try extended.matches(CANFrame(id: 0x18FF_50E5, isExtended: true)))
        #expect(try !extended.matches(CANFrame(id: 0x18FE_50E5, isExtended: true)))

        let inverted = CANFilter(id: 0x350, mask: 0x7F0, isInverted: true)
        #expect(inverted.linuxFilter.id == 0x350 | LinuxCAN.inverseFilterFlag)
        #expect(try !inverted.matches(CANFrame(id: 0x35A)))
        #expect(try inverted.matches(CANFrame(id: 0x360)))
        #expect(inverted.description == "~0x350/0x7F0")
        #expect(CANFilter(id: 0xFFFF, mask: 0xFFFF).id == 0x7FF)  // cut to 11 bits
    }

    @Test func minimalFiltersForTheCANBusBMSFrames() {
        let ids = Set(CANBusBMSFrameID.batteryFrames.map(\.rawValue))
        let filters = CANFilter.minimalFilters(for: ids)
        Self.expectExact(filters, ids, width: 0x7FF)
        // The 13 identifiers need 7 filters at least (an exhaustive search over the prime implicants says so).
        #expect(filters.count == 7)
        #expect(CANBusBMSFrameID.batteryFilters == filters)
        #expect(CANFilter.minimalFilters(for: [0x370, 0x371, 0x372, 0x373]) == [CANFilter(id: 0x370, mask: 0x7FC)])
        #expect(CANFilter.minimalFilters(for: []) == [])
    }

    @Test func minimalFiltersAreExactAndFew() {
        var generator = SplitMix64(seed: 99)
        for round in 0..<200 {
            let extended = round % 3 == 0
            let width: UInt32 = extended ? 0x1FFF_FFFF : 0x7FF
            let base = UInt32(truncatingIfNeeded: generator.next()) & width & ~0x3F
            let count = 1 + Int(generator.next() % 24)
            let ids = Set((0..<count).map { _ in base | UInt32(generator.next() % 64) })
            let filters = CANFilter.minimalFilters(for: ids, isExtended: extended)
            Self.expectExact(filters, ids, width: width, base: base)
            #expect(filters.count <= ids.count)
            #expect(filters.allSatisfy { $0.isExtended == extended })
        }
    }

    @Test func aFilterBudgetMergesAndStillPassesEveryID() {
        var generator = SplitMix64(seed: 3)
        for _ in 0..<100 {
            let ids = Set((0..<20).map { _ in UInt32(generator.next() % 0x800) })
            for budget in [1, 2, 4] {
                let filters = CANFilter.minimalFilters(for: ids, maximumCount: budget)
                #expect(filters.count <= budget)
                for id in ids { #expect(filters.contains { $0.matches(id: id) }) }
            }
        }
        #expect(CANFilter.minimalFilters(for: [0x100, 0x200], maximumCount: 1) == [CANFilter(id: 0, mask: 0x4FF)])
    }

    /// The filters pass every id of `ids` and no other id in the 64-id block at `base` (or, for 11 bits, at all).
    static func expectExact(_ filters: [CANFilter], _ ids: Set<UInt32>, width: UInt32, base: UInt32 = 0) {
        let candidates: [UInt32] = width == 0x7FF ? Array(0...0x7FF) : (0..<64).map { base | $0 }
        let wrong = candidates.filter { id in filters.contains { $0.matches(id: id) } != ids.contains(id) }
        #expect(wrong.isEmpty, "filters \(filters) pass or miss \(wrong.map { String($0, radix: 16) })")
    }
}
