/// The statements the decoder needs: `BO_`, `SG_`, `VAL_`, `SIG_VALTYPE_`, `SG_MUL_VAL_`.
extension DBCParser {
    /// `BO_ <id> <name>: <dlc> <transmitter>`; bit 31 of the id marks a 29-bit identifier.
    mutating func parseMessage() throws(DBCParseError) {
        let keyword = try next("BO_")
        let (rawID, idLine) = try expectUnsigned("the message id after BO_")
        let name = try expectIdentifier("the message name after its id")
        try expectSymbol(":", "':' after the message name")
        let (dlc, dlcLine) = try expectUnsigned("the message length in bytes")
        var transmitter = ""
        if let token = peek, token.kind == .identifier, !token.startsLine {
            transmitter = token.text
            position += 1
        }
        guard rawID <= UInt64(UInt32.max) else {
            throw DBCParseError(line: idLine, expected: "a message id of at most 32 bits", found: String(rawID))
        }
        let dbcID = UInt32(rawID)
        if dbcID == Self.independentSignalsID || name.text == "VECTOR__INDEPENDENT_SIG_MSG" {
            currentMessage = nil
            skippingIndependentSignals = true
            return
        }
        let isExtended = dbcID & 0x8000_0000 != 0
        let id = dbcID & 0x7FFF_FFFF
        if isExtended {
            guard id <= CANFrame.maximumExtendedID else {
                throw DBCParseError(
                    line: idLine, expected: "an extended id of at most 0x1FFFFFFF plus bit 31 (2147483648)",
                    found: String(rawID))
            }
        } else {
            guard id <= CANFrame.maximumStandardID else {
                throw DBCParseError(
                    line: idLine,
                    expected: "a standard id of at most 2047 (0x7FF); an extended id has bit 31 (2147483648) added",
                    found: String(rawID))
            }
        }
        guard dlc <= 64 else {
            throw DBCParseError(line: dlcLine, expected: "a message length of 0 to 64 bytes", found: String(dlc))
        }
        if let existing = messageIndexByDBCID[dbcID] {
            throw DBCParseError(
                line: keyword.line,
                expected: "a message id not used before (\(messages[existing].name) on line \(messages[existing].line) has it)",
                found: String(rawID))
        }
        if let existing = messages.first(where: { $0.name == name.text }) {
            throw DBCParseError(
                line: name.line, expected: "a message name not used before (line \(existing.line) has it)",
                found: name.text)
        }
        messageIndexByDBCID[dbcID] = messages.count
        currentMessage = messages.count
        skippingIndependentSignals = false
        messages.append(
            DBCMessage(
                id: id, isExtended: isExtended, name: name.text, length: Int(dlc), transmitter: transmitter, signals: [],
                line: keyword.line))
    }

    /// `SG_ <name> [M|mN|mNM] : <start>|<length>@<0|1><+|-> (<factor>,<offset>) [<min>|<max>] "<unit>" <rx>,…`
    mutating func parseSignal() throws(DBCParseError) {
        let keyword = try next("SG_")
        let name = try expectIdentifier("the signal name after SG_")
        var isMultiplexer = false
        var switchValue: UInt64?
        if let marker = peek, marker.kind == .identifier {
            position += 1
            guard let parsed = Self.multiplexerMarker(marker.text) else {
                throw DBCParseError(
                    line: marker.line, expected: "a multiplexer marker (M, mN or mNM) or ':' after the signal name",
                    found: marker.text)
            }
            isMultiplexer = parsed.isMultiplexer
            switchValue = parsed.switchValue
        }
        try expectSymbol(":", "':' after the signal name")
        let (start, startLine) = try expectUnsigned("the start bit")
        try expectSymbol("|", "'|' between the start bit and the length")
        let (length, lengthLine) = try expectUnsigned("the length in bits")
        try expectSymbol("@", "'@' before the byte order")
        let order = try next("the byte order (0 Motorola or 1 Intel)")
        guard order.kind == .number, order.text == "0" || order.text == "1" else {
            throw DBCParseError(line: order.line, expected: "the byte order 0 (Motorola) or 1 (Intel)", found: order.shown)
        }
        let sign = try next("'+' (unsigned) or '-' (signed)")
        guard sign.isSymbol("+") || sign.isSymbol("-") else {
            throw DBCParseError(line: sign.line, expected: "'+' (unsigned) or '-' (signed) after the byte order", found: sign.shown)
        }
        try expectSymbol("(", "'(' before the factor")
        let factor = try expectNumber("the factor")
        try expectSymbol(",", "',' between the factor and the offset")
        let offset = try expectNumber("the offset")
        try expectSymbol(")", "')' after the offset")
        try expectSymbol("[", "'[' before the minimum")
        let minimum = try expectNumber("the minimum")
        try expectSymbol("|", "'|' between the minimum and the maximum")
        let maximum = try expectNumber("the maximum")
        try expectSymbol("]", "']' after the maximum")
        let unit = try expectString("the unit in quotes")
        var receivers: [String] = []
        while let token = peek, !token.startsLine, token.kind == .identifier || token.isSymbol(",") {
            if token.kind == .identifier { receivers.append(token.text) }
            position += 1
        }

        guard (1...64).contains(length) else {
            throw DBCParseError(line: lengthLine, expected: "a signal length of 1 to 64 bits", found: String(length))
        }
        guard start < 512 else {
            throw DBCParseError(line: startLine, expected: "a start bit below 512 (64 bytes)", found: String(start))
        }
        if skippingIndependentSignals { return }
        guard let messageIndex = currentMessage else {
            throw DBCParseError(line: keyword.line, expected: "SG_ lines right after their BO_ line", found: name.text)
        }
        let signal = DBCSignal(
            name: name.text, startBit: Int(start), length: Int(length), byteOrder: order.text == "1" ? .littleEndian : .bigEndian,
            isSigned: sign.text == "-", factor: factor, offset: offset, minimum: minimum, maximum: maximum, unit: unit.text,
            receivers: receivers, isMultiplexer: isMultiplexer, multiplexerSwitchValue: switchValue, line: keyword.line)
        let message = messages[messageIndex]
        guard signal.sequentialStart + signal.length <= 8 * message.length else {
            throw DBCParseError(
                line: keyword.line,
                expected: "a signal inside the \(message.length) bytes of \(message.name) (\(signal.name) needs \(signal.bytesNeeded))")
        }
        if message.signal(named: signal.name) != nil {
            throw DBCParseError(
                line: name.line, expected: "a signal name not used before in \(message.name)", found: signal.name)
        }
        messages[messageIndex].signals.append(signal)
    }

    /// `M` → multiplexer; `m3` → present when the multiplexer is 3; `m3M` → both.
    static func multiplexerMarker(_ text: String) -> (isMultiplexer: Bool, switchValue: UInt64?)? {
        if text == "M" { return (true, nil) }
        guard text.hasPrefix("m") else { return nil }
        var digits = text.dropFirst()
        let isMultiplexer = digits.hasSuffix("M")
        if isMultiplexer { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = UInt64(digits) else {
            return nil
        }
        return (isMultiplexer, value)
    }

    /// `VAL_ <id> <signal> <value> "<label>" … ;` (the environment-variable form `VAL_ <name> …;` is skipped).
    mutating func parseValueLabels() throws(DBCParseError) {
        guard position + 1 < tokens.count, tokens[position + 1].kind == .number else {
            skipStatement()
            return
        }
        position += 1
        let (rawID, idLine) = try expectUnsigned("the message id after VAL_")
        let signal = try expectIdentifier("the signal name after the message id")
        var labels: [Int64: String] = [:]
        while let token = peek, !token.isSymbol(";") {
            let value = try expectInteger("a raw value or ';'")
            let label = try expectString("the label of \(value) in quotes")
            labels[value] = label.text
        }
        try expectSymbol(";", "';' at the end of VAL_")
        guard rawID <= UInt64(UInt32.max) else {
            throw DBCParseError(line: idLine, expected: "a message id of at most 32 bits", found: String(rawID))
        }
        labelEntries.append(LabelEntry(dbcID: UInt32(rawID), signal: signal.text, labels: labels))
    }

    /// `SIG_VALTYPE_ <id> <signal> : <0|1|2> ;` (the `:` may be missing).
    mutating func parseValueType() throws(DBCParseError) {
        let keyword = try next("SIG_VALTYPE_")
        let (rawID, idLine) = try expectUnsigned("the message id after SIG_VALTYPE_")
        let signal = try expectIdentifier("the signal name after the message id")
        if let token = peek, token.isSymbol(":") { position += 1 }
        let (code, codeLine) = try expectUnsigned("the value type (0 integer, 1 float, 2 double)")
        try expectSymbol(";", "';' at the end of SIG_VALTYPE_")
        guard code <= 2 else {
            throw DBCParseError(line: codeLine, expected: "the value type 0 (integer), 1 (float) or 2 (double)", found: String(code))
        }
        guard rawID <= UInt64(UInt32.max) else {
            throw DBCParseError(line: idLine, expected: "a message id of at most 32 bits", found: String(rawID))
        }
        valueTypeEntries.append(ValueTypeEntry(dbcID: UInt32(rawID), signal: signal.text, code: code, line: keyword.line))
    }

    /// `SG_MUL_VAL_ <id> <signal> <multiplexer> <low>-<high>, … ;`
    mutating func parseMultiplexerValues() throws(DBCParseError) {
        let keyword = try next("SG_MUL_VAL_")
        let (rawID, idLine) = try expectUnsigned("the message id after SG_MUL_VAL_")
        let signal = try expectIdentifier("the multiplexed signal's name")
        let multiplexer = try expectIdentifier("the multiplexer's name")
        var ranges: [ClosedRange<UInt64>] = []
        repeat {
            if !ranges.isEmpty { position += 1 }  // the ','
            let (low, lowLine) = try expectUnsigned("the low end of a multiplexer range")
            try expectSymbol("-", "'-' between the ends of a multiplexer range")
            let (high, _) = try expectUnsigned("the high end of a multiplexer range")
            guard low <= high else {
                throw DBCParseError(line: lowLine, expected: "a range whose low end is not above its high end", found: "\(low)-\(high)")
            }
            ranges.append(low...high)
        } while peek?.isSymbol(",") == true
        try expectSymbol(";", "';' at the end of SG_MUL_VAL_")
        guard rawID <= UInt64(UInt32.max) else {
            throw DBCParseError(line: idLine, expected: "a message id of at most 32 bits", found: String(rawID))
        }
        multiplexerEntries.append(
            MultiplexerEntry(
                dbcID: UInt32(rawID), signal: signal.text, multiplexer: multiplexer.text, ranges: ranges, line: keyword.line))
    }
}
