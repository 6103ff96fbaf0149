/// The SunSpec model chain: "SunS", then models (`ID`, `L`, body) back to back, ending with ID 0xFFFF.
public enum SunSpecModelChain {
    /// Every model header in a register image that starts at the marker.
    ///
    /// - Parameters:
    ///   - registers: Holding registers read from `baseAddress` on; `registers[0...1]` must be "SunS".
    ///   - baseAddress: Absolute address of `registers[0]`, used for the headers' addresses.
    ///   - maximumModelCount: Cap on the number of models, to stop on a looping or garbage chain.
    /// - Returns: The headers in chain order, without the end marker.
    /// - Throws: `SunSpecError.noMarker`, `.truncated` when the image ends before the end marker (the end
    ///   model may omit `L`), `.chainTooLong`, `.addressOutOfRange`.
    public static func parse(
        registers: [UInt16], baseAddress: Int,
        maximumModelCount: Int = SunSpecChainWalker.defaultMaximumModelCount
    ) throws(SunSpecError) -> [SunSpecModelHeader] {
        guard registers.count >= 2 else { throw SunSpecError.truncated(at: baseAddress + registers.count) }
        guard SunSpecDiscovery.isSunSpecMarker(registers) else {
            throw SunSpecError.noMarker(baseAddress: baseAddress)
        }
        var walker = SunSpecChainWalker(baseAddress: baseAddress, maximumModelCount: maximumModelCount)
        while true {
            let offset = walker.nextAddress - baseAddress
            guard offset >= 0, offset < registers.count else {
                throw SunSpecError.truncated(at: walker.nextAddress)
            }
            let length: UInt16? = offset + 1 < registers.count ? registers[offset + 1] : nil
            switch try walker.advance(id: registers[offset], length: length) {
            case .model: continue
            case .end: return walker.headers
            }
        }
    }

    /// Address of the model after `header`: its ID address + `L` + 2.
    public static func nextModelAddress(after header: SunSpecModelHeader) -> Int {
        header.address + header.length + 2
    }

    /// The registers of one model, cut out of an image read from `baseAddress`, ready for a model decoder.
    ///
    /// - Throws: `SunSpecError.truncated` if the image does not hold the whole model.
    public static func registers(
        of header: SunSpecModelHeader, in image: [UInt16], baseAddress: Int
    ) throws(SunSpecError) -> [UInt16] {
        let start = header.address - baseAddress
        let end = start + header.registerCount
        guard start >= 0, end >= start, start <= image.count else {
            throw SunSpecError.truncated(at: header.address)
        }
        guard end <= image.count else { throw SunSpecError.truncated(at: baseAddress + image.count) }
        return Array(image[start..<end])
    }
}
