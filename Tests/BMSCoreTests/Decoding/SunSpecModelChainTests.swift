import Testing

@testable import BMSCore

/// Walking the model chain: addresses at each base, and every malformed image ends in an error, never a trap.
@Suite("SunSpec model chain")
struct SunSpecModelChainTests {
    @Test(arguments: [40000, 0, 50000])
    func fullImageParsesAtEveryBase(baseAddress: Int) throws {
        let image = SunSpecTestImages.device(cellCount: 16)
        let headers = try SunSpecModelChain.parse(registers: image, baseAddress: baseAddress)
        #expect(
            headers == [
                SunSpecModelHeader(id: 1, length: 66, address: baseAddress + 2),
                SunSpecModelHeader(id: 802, length: 62, address: baseAddress + 70),
                SunSpecModelHeader(id: 805, length: 42 + 4 * 16, address: baseAddress + 134),
            ])
    }

    @Test func modelsCutOutOfTheImageDecode() throws {
        let image = SunSpecTestImages.device(cellCount: 4)
        let headers = try SunSpecModelChain.parse(registers: image, baseAddress: 40000)
        try #require(headers.count == 3)
        let common = try SunSpecCommonModel(
            registers: SunSpecModelChain.registers(of: headers[0], in: image, baseAddress: 40000))
        #expect(common == SunSpecTestImages.common)
        let base = try SunSpecBatteryBase(
            registers: SunSpecModelChain.registers(of: headers[1], in: image, baseAddress: 40000))
        #expect(base.voltage == 51.2)
        let module = try SunSpecBatteryModule(
            registers: SunSpecModelChain.registers(of: headers[2], in: image, baseAddress: 40000))
        #expect(module.cellCount == 4)
        #expect(headers[1].absoluteAddress(ofOffset: SunSpecBatteryBase.Offset.setOp) == 40120)
    }

    @Test func endModelWithoutLengthIsAccepted() throws {
        let image = Array(SunSpecTestImages.device().dropLast())  // ends with the end ID alone
        #expect(try SunSpecModelChain.parse(registers: image, baseAddress: 0).count == 3)
    }

    @Test func markerIsRequired() {
        var registers = SunSpecTestImages.device()
        registers[1] = 0x0000
        let image = registers
        #expect(throws: SunSpecError.noMarker(baseAddress: 40000)) {
            try SunSpecModelChain.parse(registers: image, baseAddress: 40000)
        }
        #expect(SunSpecDiscovery.isSunSpecMarker([0x5375, 0x6E53, 0x0001]))
        #expect(!SunSpecDiscovery.isSunSpecMarker([0x5375]))
    }

    @Test func imageWithoutEndMarkerIsTruncated() {
        let image = Array(SunSpecTestImages.device(cellCount: 2).dropLast(2))
        #expect(throws: SunSpecError.truncated(at: 40000 + image.count)) {
            try SunSpecModelChain.parse(registers: image, baseAddress: 40000)
        }
    }

    @Test func imageCutInsideAModelIsTruncatedAtTheNextHeader() {
        let image = Array(SunSpecTestImages.device().prefix(100))
        #expect(throws: SunSpecError.truncated(at: 40134)) {
            try SunSpecModelChain.parse(registers: image, baseAddress: 40000)
        }
    }

    @Test(arguments: [0, 1])
    func tooShortForTheMarkerIsTruncated(count: Int) {
        let image = [UInt16](repeating: 0x5375, count: count)
        #expect(throws: SunSpecError.truncated(at: count)) {
            try SunSpecModelChain.parse(registers: image, baseAddress: 0)
        }
    }

    @Test func modelWithoutLengthIsTruncated() {
        let image = SunSpecDiscovery.marker + [1]
        #expect(throws: SunSpecError.truncated(at: 3)) {
            try SunSpecModelChain.parse(registers: image, baseAddress: 0)
        }
    }

    /// Zero-length models with no end marker (a device answering zeros) stop at the cap.
    @Test func endlessChainStopsAtTheCap() {
        let image = SunSpecDiscovery.marker + [UInt16](repeating: 0, count: 2 * 200)
        #expect(throws: SunSpecError.chainTooLong(limit: 64)) {
            try SunSpecModelChain.parse(registers: image, baseAddress: 0)
        }
        #expect(throws: SunSpecError.chainTooLong(limit: 3)) {
            try SunSpecModelChain.parse(registers: image, baseAddress: 0, maximumModelCount: 3)
        }
    }

    @Test func chainCannotLeaveTheAddressSpace() {
        let image = SunSpecDiscovery.marker + [1, 1000]
        #expect(throws: SunSpecError.addressOutOfRange(65002 + 1002)) {
            try SunSpecModelChain.parse(registers: image, baseAddress: 65000)
        }
    }

    @Test func walkerFollowsAnIOLoop() throws {
        var walker = SunSpecChainWalker(baseAddress: 40000)
        #expect(walker.nextAddress == 40002)
        let common = try walker.advance(id: 1, length: 66)
        #expect(common == .model(SunSpecModelHeader(id: 1, length: 66, address: 40002)))
        #expect(walker.nextAddress == 40070)
        let base = try walker.advance(id: 802, length: 62)
        #expect(base == .model(SunSpecModelHeader(id: 802, length: 62, address: 40070)))
        #expect(walker.nextAddress == 40134)
        let end = try walker.advance(id: 0xFFFF, length: nil)
        #expect(end == .end)
        #expect(walker.isFinished)
        let afterEnd = try walker.advance(id: 7, length: 0)
        #expect(afterEnd == .end)
        #expect(walker.headers.map(\.id) == [1, 802])
        #expect(SunSpecModelChain.nextModelAddress(after: walker.headers[1]) == 40134)
    }

    @Test func errorsDescribeThemselves() {
        let errors: [SunSpecError] = [
            .noMarker(baseAddress: 0), .truncated(at: 5), .chainTooLong(limit: 64), .addressOutOfRange(70000),
            .unexpectedModel(expected: 802, actual: 1), .lengthMismatch(model: 802, expected: 62, actual: 60),
            .repeatingBlockMismatch(model: 805, length: 45, fixedLength: 42, blockLength: 4),
            .modelTruncated(model: 805, needed: 50, available: 10),
        ]
        for error in errors { #expect(!error.description.isEmpty) }
    }
}
