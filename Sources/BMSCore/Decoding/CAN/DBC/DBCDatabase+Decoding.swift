extension DBCDatabase {
    /// Decodes a data frame with the message of its identifier.
    ///
    /// - Parameter allowTruncated: decode a frame shorter than its message, leaving out the signals it does
    ///   not hold (and those their multiplexer would select), instead of refusing it.
    /// - Throws: `DBCDecodeError` for an unknown identifier, a remote or error frame, a frame too short, or a
    ///   multiplexer value the DBC does not define.
    public func decode(_ frame: CANFrame, allowTruncated: Bool = false) throws(DBCDecodeError) -> DBCDecodedMessage {
        guard !frame.isRemote, !frame.isError else { throw DBCDecodeError.notADataFrame(id: frame.id) }
        guard let message = self.message(id: frame.id, isExtended: frame.isExtended) else {
            throw DBCDecodeError.unknownMessage(id: frame.id, isExtended: frame.isExtended)
        }
        return try message.decode(frame.data, allowTruncated: allowTruncated)
    }
}

extension DBCMessage {
    /// Decodes a payload (bytes beyond the message length are ignored).
    ///
    /// - Throws: `DBCDecodeError.frameTooShort` (unless `allowTruncated`) or `.unknownMultiplexerValue`.
    public func decode(_ data: [UInt8], allowTruncated: Bool = false) throws(DBCDecodeError) -> DBCDecodedMessage {
        guard allowTruncated || data.count >= length else {
            throw DBCDecodeError.frameTooShort(message: name, length: data.count, needed: length)
        }
        var values = [DBCRawValue?](repeating: nil, count: signals.count)
        var pending = signals.indices.filter { signals[$0].multiplexerName == nil }
        var visited = Set<Int>()
        while let index = pending.popLast() {
            guard visited.insert(index).inserted else { continue }
            let signal = signals[index]
            guard signal.bytesNeeded <= data.count else { continue }
            let raw = signal.rawValue(in: data)
            values[index] = raw
            guard signal.isMultiplexer else { continue }
            let known = knownMultiplexerValues(of: signal)
            guard !known.isEmpty else { continue }
            guard let switchValue = raw.multiplexerValue, known.contains(where: { $0.contains(switchValue) }) else {
                throw DBCDecodeError.unknownMultiplexerValue(message: name, multiplexer: signal.name, value: raw)
            }
            pending += signals.indices.filter { child in
                signals[child].multiplexerName == signal.name && signals[child].isSelected(byMultiplexerValue: switchValue)
            }
        }
        var decoded: [DBCDecodedSignal] = []
        decoded.reserveCapacity(visited.count)
        for (index, signal) in signals.enumerated() {
            guard let raw = values[index] else { continue }
            decoded.append(
                DBCDecodedSignal(
                    name: signal.name, rawValue: raw, physicalValue: signal.physicalValue(of: raw), unit: signal.unit,
                    label: signal.label(of: raw)))
        }
        return DBCDecodedMessage(name: name, id: id, isExtended: isExtended, signals: decoded)
    }
}
