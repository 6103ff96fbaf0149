/// Reads the statements of a DBC file: `BO_`, `SG_`, `VAL_`, `SIG_VALTYPE_` and `SG_MUL_VAL_` in full; `VERSION`,
/// the `NS_` block, `BS_`, `BU_`, `CM_`, `BA_DEF_`, `BA_`, `BA_DEF_DEF_`, `VAL_TABLE_`, `BO_TX_BU_`, `EV_`,
/// `SIG_GROUP_` and any other `UPPER_CASE_` section are skipped (to their `;`, or to the next line that starts
/// with a section keyword). `DBCParser+Resolve.swift` then attaches labels, float types and multiplexing.
struct DBCParser {
    /// Section keywords of the DBC format (the `NS_` list plus the structural ones).
    static let sectionKeywords: Set<String> = [
        "VERSION", "NS_", "NS_DESC_", "BS_", "BU_", "BO_", "SG_", "EV_", "CM_", "BA_DEF_", "BA_", "VAL_", "CAT_DEF_",
        "CAT_", "FILTER", "BA_DEF_DEF_", "EV_DATA_", "ENVVAR_DATA_", "SGTYPE_", "SGTYPE_VAL_", "BA_DEF_SGTYPE_",
        "BA_SGTYPE_", "SIG_TYPE_REF_", "VAL_TABLE_", "SIG_GROUP_", "SIG_VALTYPE_", "SIGTYPE_VALTYPE_", "BO_TX_BU_",
        "BA_DEF_REL_", "BA_REL_", "BA_DEF_DEF_REL_", "BU_SG_REL_", "BU_EV_REL_", "BU_BO_REL_", "SG_MUL_VAL_",
    ]

    /// The pseudo-message Vector tools use for signals not assigned to any message; it is skipped.
    static let independentSignalsID: UInt32 = 0xC000_0000

    struct LabelEntry {
        var dbcID: UInt32
        var signal: String
        var labels: [Int64: String]
    }

    struct ValueTypeEntry {
        var dbcID: UInt32
        var signal: String
        var code: UInt64
        var line: Int
    }

    struct MultiplexerEntry {
        var dbcID: UInt32
        var signal: String
        var multiplexer: String
        var ranges: [ClosedRange<UInt64>]
        var line: Int
    }

    let tokens: [DBCToken]
    var position = 0
    var messages: [DBCMessage] = []
    var messageIndexByDBCID: [UInt32: Int] = [:]
    var currentMessage: Int?
    var skippingIndependentSignals = false
    var labelEntries: [LabelEntry] = []
    var valueTypeEntries: [ValueTypeEntry] = []
    var multiplexerEntries: [MultiplexerEntry] = []

    init(tokens: [DBCToken]) {
        self.tokens = tokens
    }

    /// Every message of the file, in file order, fully resolved.
    mutating func parse() throws(DBCParseError) -> [DBCMessage] {
        while let token = peek {
            guard token.kind == .identifier else {
                throw DBCParseError(
                    line: token.line, expected: "a section keyword (BO_, SG_, VAL_, CM_, BA_, …)", found: token.shown)
            }
            let continuesMessage = token.text == "SG_"
            switch token.text {
            case "VERSION":
                position += 1
                if let version = peek, version.kind == .string { position += 1 }
            case "NS_": try skipNewSymbols()
            case "BO_": try parseMessage()
            case "SG_": try parseSignal()
            case "VAL_": try parseValueLabels()
            case "SIG_VALTYPE_": try parseValueType()
            case "SG_MUL_VAL_": try parseMultiplexerValues()
            default:
                guard Self.isSectionKeyword(token) else {
                    throw DBCParseError(
                        line: token.line, expected: "a section keyword (BO_, SG_, VAL_, CM_, BA_, …)", found: token.shown)
                }
                skipStatement()
            }
            if !continuesMessage, token.text != "BO_" {
                currentMessage = nil
                skippingIndependentSignals = false
            }
        }
        try resolve()
        return messages
    }

    static func isSectionKeyword(_ token: DBCToken) -> Bool {
        guard token.kind == .identifier else { return false }
        if sectionKeywords.contains(token.text) { return true }
        return token.text.count >= 3 && token.text.hasSuffix("_")
            && token.text.utf8.allSatisfy { (0x41...0x5A).contains($0) || $0 == 0x5F }
    }

    // MARK: - Tokens

    var peek: DBCToken? { position < tokens.count ? tokens[position] : nil }

    var lastLine: Int { tokens.last?.line ?? 1 }

    mutating func next(_ expected: String) throws(DBCParseError) -> DBCToken {
        guard let token = peek else { throw DBCParseError(line: lastLine, expected: "\(expected) before the end of the file") }
        position += 1
        return token
    }

    mutating func expectSymbol(_ symbol: String, _ expected: String) throws(DBCParseError) {
        let token = try next(expected)
        guard token.isSymbol(symbol) else { throw DBCParseError(line: token.line, expected: expected, found: token.shown) }
    }

    mutating func expectIdentifier(_ expected: String) throws(DBCParseError) -> DBCToken {
        let token = try next(expected)
        guard token.kind == .identifier else { throw DBCParseError(line: token.line, expected: expected, found: token.shown) }
        return token
    }

    mutating func expectString(_ expected: String) throws(DBCParseError) -> DBCToken {
        let token = try next(expected)
        guard token.kind == .string else { throw DBCParseError(line: token.line, expected: expected, found: token.shown) }
        return token
    }

    mutating func expectUnsigned(_ expected: String) throws(DBCParseError) -> (value: UInt64, line: Int) {
        let token = try next(expected)
        guard token.kind == .number, let value = UInt64(token.text) else {
            throw DBCParseError(line: token.line, expected: expected + " (a whole number)", found: token.shown)
        }
        return (value, token.line)
    }

    /// An optionally signed decimal number.
    mutating func expectNumber(_ expected: String) throws(DBCParseError) -> Double {
        var token = try next(expected)
        var sign = 1.0
        if token.isSymbol("-") || token.isSymbol("+") {
            sign = token.text == "-" ? -1 : 1
            token = try next(expected)
        }
        guard token.kind == .number, let value = Double(token.text), value.isFinite else {
            throw DBCParseError(line: token.line, expected: expected + " (a number)", found: token.shown)
        }
        return sign * value
    }

    /// An optionally signed whole number up to 64 bits; values above `Int64.max` keep their bit pattern.
    mutating func expectInteger(_ expected: String) throws(DBCParseError) -> Int64 {
        var token = try next(expected)
        var negative = false
        if token.isSymbol("-") {
            negative = true
            token = try next(expected)
        }
        let value: Int64?
        if let magnitude = UInt64(token.text) {
            value = negative
                ? (magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil)
                : Int64(bitPattern: magnitude)
        } else if let number = Double(token.text), let whole = Int64(exactly: number) {
            value = negative ? -whole : whole
        } else {
            value = nil
        }
        guard token.kind == .number, let value else {
            throw DBCParseError(line: token.line, expected: expected + " (a whole number)", found: token.shown)
        }
        return value
    }

    // MARK: - Skipped sections

    /// Skips to the statement's `;` (consumed) or to the next line that starts with a section keyword.
    mutating func skipStatement() {
        position += 1
        while let token = peek {
            if token.isSymbol(";") {
                position += 1
                return
            }
            if token.startsLine, Self.isSectionKeyword(token) { return }
            position += 1
        }
    }

    /// `NS_ :` followed by one keyword per line.
    private mutating func skipNewSymbols() throws(DBCParseError) {
        let keyword = try next("NS_")
        try expectSymbol(":", "':' after NS_")
        while let token = peek, token.line == keyword.line { position += 1 }
        while let token = peek, token.kind == .identifier, token.startsLine {
            let following = position + 1 < tokens.count ? tokens[position + 1] : nil
            guard following.map({ $0.startsLine }) ?? true else { return }
            position += 1
        }
    }
}
