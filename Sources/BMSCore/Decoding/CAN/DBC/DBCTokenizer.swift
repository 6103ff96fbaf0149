/// A word, number, quoted string or punctuation character of a DBC file, with its line.
struct DBCToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// `BO_`, `BattStatus`, `m0`, `Vector__XXX`.
        case identifier
        /// Digits with an optional fraction and exponent, never a sign (`-` is a symbol, so `0-3` reads as a
        /// range).
        case number
        /// The contents of a quoted string, `\"` and `\\` unescaped; it may span lines.
        case string
        /// Any other single character: `:`, `|`, `@`, `+`, `-`, `(`, `)`, `[`, `]`, `,`, `;`.
        case symbol
    }

    var kind: Kind
    var text: String
    /// The 1-based line where the token starts.
    var line: Int
    /// Whether no token comes before it on its line.
    var startsLine: Bool

    func isSymbol(_ character: String) -> Bool { kind == .symbol && text == character }

    /// The token as shown in errors.
    var shown: String {
        switch kind {
        case .string: "\"\(text.prefix(40))\""
        default: text
        }
    }
}

/// Splits DBC text into tokens. `//` starts a comment to the end of the line (some generators write them).
enum DBCTokenizer {
    static func tokenize(_ bytes: [UInt8]) throws(DBCParseError) -> [DBCToken] {
        var tokens: [DBCToken] = []
        var index = 0
        var line = 1
        var lastTokenLine = 0

        func emit(_ kind: DBCToken.Kind, _ text: String, at tokenLine: Int) {
            tokens.append(DBCToken(kind: kind, text: text, line: tokenLine, startsLine: tokenLine != lastTokenLine))
            lastTokenLine = tokenLine
        }

        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                index += 1
            } else if byte <= 0x20 || byte == 0x7F {
                index += 1
            } else if byte == 0x2F, index + 1 < bytes.count, bytes[index + 1] == 0x2F {
                while index < bytes.count, bytes[index] != 0x0A { index += 1 }
            } else if byte == 0x22 {
                let startLine = line
                var content: [UInt8] = []
                index += 1
                var closed = false
                while index < bytes.count {
                    let character = bytes[index]
                    if character == 0x22 {
                        closed = true
                        index += 1
                        break
                    }
                    if character == 0x5C, index + 1 < bytes.count, bytes[index + 1] == 0x22 || bytes[index + 1] == 0x5C {
                        content.append(bytes[index + 1])
                        index += 2
                        continue
                    }
                    if character == 0x0A { line += 1 }
                    content.append(character)
                    index += 1
                }
                guard closed else {
                    throw DBCParseError(line: startLine, expected: "a closing '\"' for the string opened on this line")
                }
                emit(.string, String(decoding: content, as: UTF8.self), at: startLine)
            } else if isIdentifierStart(byte) {
                let start = index
                while index < bytes.count, isIdentifierStart(bytes[index]) || isDigit(bytes[index]) { index += 1 }
                emit(.identifier, String(decoding: bytes[start..<index], as: UTF8.self), at: line)
            } else if isDigit(byte) || (byte == 0x2E && index + 1 < bytes.count && isDigit(bytes[index + 1])) {
                let start = index
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
                if index < bytes.count, bytes[index] == 0x2E {
                    index += 1
                    while index < bytes.count, isDigit(bytes[index]) { index += 1 }
                }
                if index < bytes.count, bytes[index] == 0x45 || bytes[index] == 0x65 {
                    var probe = index + 1
                    if probe < bytes.count, bytes[probe] == 0x2B || bytes[probe] == 0x2D { probe += 1 }
                    if probe < bytes.count, isDigit(bytes[probe]) {
                        index = probe
                        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
                    }
                }
                emit(.number, String(decoding: bytes[start..<index], as: UTF8.self), at: line)
            } else {
                emit(.symbol, String(decoding: [byte], as: UTF8.self), at: line)
                index += 1
            }
        }
        return tokens
    }

    private static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
