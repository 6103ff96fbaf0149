import BMSCore

/// Finds a device's SunSpec models over one connection and decodes every point it knows.
struct SunSpecProbe {
    let connection: ModbusConnection
    let unit: Int

    enum Failure: Error {
        /// No answer at all, or the link could not be opened.
        case notReachable(ModbusError)
        /// The device answers but has no SunSpec marker at any base address.
        case noSunSpec
        /// The model chain is broken.
        case badChain(SunSpecError)
    }

    /// The base address holding the `SunS` marker.
    func findBase() throws(Failure) -> Int {
        for base in SunSpecDiscovery.baseAddresses {
            do {
                let registers = try connection.readHoldingRegisters(unit: unit, address: base, count: SunSpecDiscovery.probeRegisterCount)
                if SunSpecDiscovery.isSunSpecMarker(registers) { return base }
            } catch {
                switch error {
                case .exception, .badReply:
                    continue  // the device is there; no marker at this base
                case .timeout, .linkDown, .setup:
                    // A unit that does not answer at one base will not at the next: trying them all would
                    // hold a shared line for three timeouts instead of one.
                    throw .notReachable(error)
                }
            }
        }
        throw .noSunSpec
    }

    /// Every model of the chain with its registers (ID and L included).
    func readModels(base: Int) throws(Failure) -> [(header: SunSpecModelHeader, registers: [UInt16])] {
        var walker = SunSpecChainWalker(baseAddress: base)
        var models: [(header: SunSpecModelHeader, registers: [UInt16])] = []
        while !walker.isFinished {
            let address = walker.nextAddress
            let idAndLength: [UInt16]
            do {
                idAndLength = try connection.readHoldingRegisterRange(unit: unit, address: address, count: 2)
            } catch {
                // Some devices do not implement L for the end model: read the ID on its own.
                guard let id = try? connection.readHoldingRegisterRange(unit: unit, address: address, count: 1) else {
                    throw .notReachable(error)
                }
                idAndLength = id
            }
            let step: SunSpecChainWalker.Step
            do {
                step = try walker.advance(id: idAndLength[0], length: idAndLength.count > 1 ? idAndLength[1] : nil)
            } catch {
                throw .badChain(error)
            }
            guard case .model(let header) = step else { break }
            do {
                models.append((header, try connection.readHoldingRegisterRange(unit: unit, address: header.address, count: header.registerCount)))
            } catch {
                throw .notReachable(error)
            }
        }
        return models
    }
}
