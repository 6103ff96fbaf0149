extension DBCDatabase {
    /// The payload of message `name` carrying `values` (as cantools `encode_message`): unused bits are 0.
    ///
    /// - Parameter checkRange: refuse physical values outside a signal's declared `[min|max]` (a `[0|0]`
    ///   range and values with a label are not checked), with cantools's tolerance of 10⁻⁶ × |factor|.
    /// - Throws: `DBCEncodeError` naming the message and signal.
    public func encode(
        messageNamed name: String, values: [String: DBCSignalInput], checkRange: Bool = true
    ) throws(DBCEncodeError) -> [UInt8] {
        guard let message = self.message(named: name) else { throw DBCEncodeError.unknownMessage(name) }
        return try message.encode(values, checkRange: checkRange)
    }

    /// The frame of message `name` carrying `values`: an FD frame above 8 bytes (padded with zeros to the next
    /// FD length when the DBC length is not one).
    /// - Throws: `DBCEncodeError` naming the message and signal.
    public func frame(
        messageNamed name: String, values: [String: DBCSignalInput], checkRange: Bool = true
    ) throws(DBCEncodeError) -> CANFrame {
        guard let message = self.message(named: name) else { throw DBCEncodeError.unknownMessage(name) }
        var data = try message.encode(values, checkRange: checkRange)
        let isFD = data.count > CANFrame.maximumClassicLength
        if isFD, let padded = CANFrame.fdLengths.first(where: { $0 >= data.count }) {
            data += [UInt8](repeating: 0, count: padded - data.count)
        }
        do {
            return try CANFrame(id: message.id, isExtended: message.isExtended, data: data, isFD: isFD)
        } catch {
            // Parsing keeps identifiers to 11/29 bits and lengths to 64 bytes, so this is not reached.
            throw DBCEncodeError.notEncodable(signal: name, reason: String(describing: error))
        }
    }
}

extension DBCMessage {
    /// The payload carrying `values`; see `DBCDatabase.encode(messageNamed:values:checkRange:)`.
    /// - Throws: `DBCEncodeError` naming the signal.
    public func encode(_ values: [String: DBCSignalInput], checkRange: Bool = true) throws(DBCEncodeError) -> [UInt8] {
        for key in values.keys.sorted() where signal(named: key) == nil {
            throw DBCEncodeError.unknownSignal(message: name, signal: key)
        }
        var data = [UInt8](repeating: 0, count: length)
        var pending = signals.indices.filter { signals[$0].multiplexerName == nil }.reversed().map { $0 }
        var visited = Set<Int>()
        while let index = pending.popLast() {
            guard visited.insert(index).inserted else { continue }
            let signal = signals[index]
            guard let input = values[signal.name] else {
                throw DBCEncodeError.missingSignal(message: name, signal: signal.name)
            }
            let (bits, raw) = try signal.encodedBits(input, checkRange: checkRange)
            signal.insert(bits, into: &data)
            guard signal.isMultiplexer else { continue }
            let known = knownMultiplexerValues(of: signal)
            guard !known.isEmpty else { continue }
            guard let switchValue = raw.multiplexerValue, known.contains(where: { $0.contains(switchValue) }) else {
                throw DBCEncodeError.unknownMultiplexerValue(message: name, multiplexer: signal.name, value: raw)
            }
            pending += signals.indices.filter { child in
                signals[child].multiplexerName == signal.name && signals[child].isSelected(byMultiplexerValue: switchValue)
            }.reversed()
        }
        return data
    }
}

extension DBCSignal {
    /// The bits to write for `input` and the raw value they hold.
    func encodedBits(_ input: DBCSignalInput, checkRange: Bool) throws(DBCEncodeError) -> (UInt64, DBCRawValue) {
        let raw: Double
        switch input {
        case .label(let text):
            guard let key = valueLabels.filter({ $0.value == text }).keys.min() else {
                throw DBCEncodeError.unknownLabel(signal: name, label: text)
            }
            if valueType == .integer, !isSigned, key < 0 {
                guard length == 64 else {
                    throw DBCEncodeError.rawValueTooWide(signal: name, raw: Double(key), length: length, isSigned: false)
                }
                return (UInt64(bitPattern: key), .unsigned(UInt64(bitPattern: key)))
            }
            raw = Double(key)
        case .physical(let value):
            guard factor != 0 else { throw DBCEncodeError.notEncodable(signal: name, reason: "the factor is 0") }
            let exact = (value - offset) / factor
            raw = valueType == .integer ? exact.rounded(.toNearestOrEven) : exact
            if valueType == .integer, !raw.isFinite {
                throw DBCEncodeError.notEncodable(signal: name, reason: "\(value) is not a finite number")
            }
            let labelled = valueType == .integer && Int64(exactly: raw).map { valueLabels[$0] != nil } == true
            if checkRange, !(minimum == 0 && maximum == 0), !labelled {
                let tolerance = abs(factor) * 1e-6
                if value < minimum - tolerance || value > maximum + tolerance {
                    throw DBCEncodeError.outOfRange(signal: name, value: value, minimum: minimum, maximum: maximum)
                }
            }
        }
        switch valueType {
        case .float32:
            let single = Float(raw)
            return (UInt64(single.bitPattern), .float(Double(single)))
        case .float64:
            return (raw.bitPattern, .float(raw))
        case .integer where isSigned:
            let lowest = length == 64 ? Int64.min : -(Int64(1) << Int64(length - 1))
            let highest = length == 64 ? Int64.max : (Int64(1) << Int64(length - 1)) - 1
            guard let whole = Int64(exactly: raw), whole >= lowest, whole <= highest else {
                throw DBCEncodeError.rawValueTooWide(signal: name, raw: raw, length: length, isSigned: true)
            }
            let mask: UInt64 = length == 64 ? .max : (1 << UInt64(length)) - 1
            return (UInt64(bitPattern: whole) & mask, .signed(whole))
        case .integer:
            guard let whole = UInt64(exactly: raw), length == 64 || whole < (1 << UInt64(length)) else {
                throw DBCEncodeError.rawValueTooWide(signal: name, raw: raw, length: length, isSigned: false)
            }
            return (whole, .unsigned(whole))
        }
    }
}
