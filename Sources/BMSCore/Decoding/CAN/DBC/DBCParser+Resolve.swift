/// After the whole file is read: value labels, float types and multiplexing are attached to their signals.
extension DBCParser {
    mutating func resolve() throws(DBCParseError) {
        // VAL_ for a message or signal the file does not define is ignored: real files carry stale ones.
        for entry in labelEntries {
            guard let messageIndex = messageIndexByDBCID[entry.dbcID],
                let signalIndex = messages[messageIndex].signals.firstIndex(where: { $0.name == entry.signal })
            else { continue }
            messages[messageIndex].signals[signalIndex].valueLabels = entry.labels
        }

        for entry in valueTypeEntries where entry.dbcID != Self.independentSignalsID {
            let (messageIndex, signalIndex) = try locate(entry.dbcID, entry.signal, line: entry.line, section: "SIG_VALTYPE_")
            let signal = messages[messageIndex].signals[signalIndex]
            let type: DBCSignal.ValueType
            switch entry.code {
            case 1: type = .float32
            case 2: type = .float64
            default: type = .integer
            }
            let needed = type == .float32 ? 32 : type == .float64 ? 64 : signal.length
            guard signal.length == needed else {
                throw DBCParseError(
                    line: entry.line,
                    expected: "a \(needed)-bit signal for SIG_VALTYPE_ \(entry.code); \(signal.name) has \(signal.length) bits")
            }
            messages[messageIndex].signals[signalIndex].valueType = type
        }

        var rangesBySignal: [UInt32: [String: MultiplexerEntry]] = [:]
        for entry in multiplexerEntries where entry.dbcID != Self.independentSignalsID {
            let (messageIndex, signalIndex) = try locate(entry.dbcID, entry.signal, line: entry.line, section: "SG_MUL_VAL_")
            let message = messages[messageIndex]
            guard message.signals[signalIndex].multiplexerSwitchValue != nil else {
                throw DBCParseError(
                    line: entry.line, expected: "SG_MUL_VAL_ only for signals marked mN; \(entry.signal) has no marker")
            }
            guard let multiplexer = message.signal(named: entry.multiplexer), multiplexer.isMultiplexer,
                entry.multiplexer != entry.signal
            else {
                throw DBCParseError(
                    line: entry.line,
                    expected: "a multiplexer (a signal marked M or mNM) of \(message.name) as the third field",
                    found: entry.multiplexer)
            }
            if var existing = rangesBySignal[entry.dbcID]?[entry.signal] {
                existing.ranges += entry.ranges
                rangesBySignal[entry.dbcID, default: [:]][entry.signal] = existing
            } else {
                rangesBySignal[entry.dbcID, default: [:]][entry.signal] = entry
            }
        }

        for messageIndex in messages.indices {
            try resolveMultiplexing(messageIndex, entries: rangesBySignal[messages[messageIndex].dbcID] ?? [:])
        }
    }

    /// Sets `multiplexerName` and `multiplexerValues` of every `mN` signal of one message.
    ///
    /// With one multiplexer, `mN` means "present when it is N" (plus any `SG_MUL_VAL_` ranges, as cantools
    /// reads them); with several (nested multiplexing), `SG_MUL_VAL_` must name each signal's multiplexer and
    /// its ranges are the only values.
    private mutating func resolveMultiplexing(_ messageIndex: Int, entries: [String: MultiplexerEntry]) throws(DBCParseError) {
        let message = messages[messageIndex]
        let multiplexers = message.signals.filter(\.isMultiplexer).map(\.name)
        for (signalIndex, signal) in message.signals.enumerated() {
            guard let switchValue = signal.multiplexerSwitchValue else { continue }
            let parent: String
            let values: [ClosedRange<UInt64>]
            if let entry = entries[signal.name] {
                parent = entry.multiplexer
                values = multiplexers.count == 1 ? [switchValue...switchValue] + entry.ranges : entry.ranges
            } else if multiplexers.count == 1, let only = multiplexers.first {
                parent = only
                values = [switchValue...switchValue]
            } else if multiplexers.isEmpty {
                throw DBCParseError(
                    line: signal.line, expected: "a multiplexer signal (M) in \(message.name) for the m\(switchValue) of \(signal.name)")
            } else {
                throw DBCParseError(
                    line: signal.line,
                    expected: "an SG_MUL_VAL_ naming the multiplexer of \(signal.name) (\(message.name) has several multiplexers)")
            }
            if parent == signal.name {
                throw DBCParseError(line: signal.line, expected: "a signal that is not its own multiplexer", found: signal.name)
            }
            messages[messageIndex].signals[signalIndex].multiplexerName = parent
            messages[messageIndex].signals[signalIndex].multiplexerValues = values
        }
        // A chain of multiplexers must end at one that is always present.
        let resolved = messages[messageIndex]
        for signal in resolved.signals {
            var current = signal.multiplexerName
            var steps = 0
            while let name = current {
                steps += 1
                guard steps <= resolved.signals.count else {
                    throw DBCParseError(line: signal.line, expected: "multiplexers that do not select each other in a loop", found: signal.name)
                }
                current = resolved.signal(named: name)?.multiplexerName
            }
        }
    }

    private func locate(_ dbcID: UInt32, _ signalName: String, line: Int, section: String) throws(DBCParseError) -> (Int, Int) {
        guard let messageIndex = messageIndexByDBCID[dbcID] else {
            throw DBCParseError(line: line, expected: "\(section) for a message the file defines (no BO_ \(dbcID))")
        }
        guard let signalIndex = messages[messageIndex].signals.firstIndex(where: { $0.name == signalName }) else {
            throw DBCParseError(
                line: line, expected: "\(section) for a signal of \(messages[messageIndex].name)", found: signalName)
        }
        return (messageIndex, signalIndex)
    }
}
