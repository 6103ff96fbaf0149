import Foundation

/// A point in time on the wire: RFC 3339, always written in UTC with milliseconds
/// (`2024-01-15T14:30:15.123Z`), read with or without fractional seconds and with any UTC offset.
///
/// Parsing and formatting are done by hand: no formatter objects, no locale, no time zone database.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millisecondsSinceEpoch: Int64

    /// A timestamp from milliseconds since the Unix epoch.
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// A timestamp from a `Date`, truncated to whole milliseconds.
    public init(_ date: Date) {
        self.millisecondsSinceEpoch = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The same instant as a `Date`.
    public var date: Date {
        Date(timeIntervalSince1970: Double(millisecondsSinceEpoch) / 1000)
    }

    /// Parses an RFC 3339 date-time.
    /// - Throws: `TimestampError` naming what is wrong with the text.
    public init(rfc3339 text: String) throws(TimestampError) {
        self = try RFC3339.parse(Array(text.utf8), original: text)
    }

    /// The RFC 3339 text in UTC with milliseconds.
    public var rfc3339: String { RFC3339.format(millisecondsSinceEpoch) }

    public var description: String { rfc3339 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// The timestamp moved by a number of milliseconds.
    public func adding(milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try Timestamp(rfc3339: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}

/// Why a text is not an RFC 3339 date-time.
public struct TimestampError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was read.
    public var text: String
    /// What is wrong with it.
    public var reason: String

    public var description: String { "'\(text)' is not an RFC 3339 date-time: \(reason)" }
}

enum RFC3339 {
    static func parse(_ bytes: [UInt8], original: String) throws(TimestampError) -> Timestamp {
        func fail(_ reason: String) -> TimestampError { TimestampError(text: original, reason: reason) }
        var index = 0
        func digits(_ count: Int, _ what: String) throws(TimestampError) -> Int64 {
            guard index + count <= bytes.count else { throw fail("\(what) is cut short") }
            var value: Int64 = 0
            for offset in 0..<count {
                let byte = bytes[index + offset]
                guard byte >= 0x30, byte <= 0x39 else { throw fail("\(what) must be \(count) digits") }
                value = value * 10 + Int64(byte - 0x30)
            }
            index += count
            return value
        }
        func expect(_ accepted: Set<UInt8>, _ what: String) throws(TimestampError) {
            guard index < bytes.count, accepted.contains(bytes[index]) else { throw fail("expected \(what)") }
            index += 1
        }

        let year = try digits(4, "year")
        try expect([0x2D], "'-' after the year")
        let month = try digits(2, "month")
        try expect([0x2D], "'-' after the month")
        let day = try digits(2, "day")
        try expect([0x54, 0x74], "'T' between date and time")
        let hour = try digits(2, "hour")
        try expect([0x3A], "':' after the hour")
        let minute = try digits(2, "minute")
        try expect([0x3A], "':' after the minute")
        let second = try digits(2, "second")

        guard (1...12).contains(month) else { throw fail("month \(month) is out of range") }
        guard day >= 1, day <= daysInMonth(year: year, month: month) else {
            throw fail("day \(day) does not exist in \(year)-\(month)")
        }
        guard hour <= 23 else { throw fail("hour \(hour) is out of range") }
        guard minute <= 59 else { throw fail("minute \(minute) is out of range") }
        guard second <= 60 else { throw fail("second \(second) is out of range") }  // 60: leap second

        var milliseconds: Int64 = 0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            var fractionDigits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if fractionDigits < 3 { milliseconds = milliseconds * 10 + Int64(bytes[index] - 0x30) }
                fractionDigits += 1
                index += 1
            }
            guard fractionDigits > 0 else { throw fail("a '.' must be followed by digits") }
            for _ in fractionDigits..<max(fractionDigits, 3) { milliseconds *= 10 }
        }

        guard index < bytes.count else { throw fail("the UTC offset ('Z' or ±hh:mm) is missing") }
        var offsetSeconds: Int64 = 0
        switch bytes[index] {
        case 0x5A, 0x7A:
            index += 1
        case 0x2B, 0x2D:
            let sign: Int64 = bytes[index] == 0x2D ? -1 : 1
            index += 1
            let offsetHours = try digits(2, "offset hours")
            try expect([0x3A], "':' in the UTC offset")
            let offsetMinutes = try digits(2, "offset minutes")
            guard offsetHours <= 23, offsetMinutes <= 59 else { throw fail("the UTC offset is out of range") }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        default:
            throw fail("the UTC offset must be 'Z' or ±hh:mm")
        }
        guard index == bytes.count else { throw fail("unexpected text after the UTC offset") }

        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Timestamp(millisecondsSinceEpoch: seconds * 1000 + milliseconds)
    }

    static func format(_ millisecondsSinceEpoch: Int64) -> String {
        let (secondsTotal, milliseconds) = floorDivide(millisecondsSinceEpoch, 1000)
        let (days, secondOfDay) = floorDivide(secondsTotal, 86_400)
        let (year, month, day) = civilFromDays(days)
        var text = ""
        text.reserveCapacity(24)
        func append(_ value: Int64, width: Int) {
            let digits = String(value)
            if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
            text += digits
        }
        append(year, width: 4)
        text += "-"
        append(month, width: 2)
        text += "-"
        append(day, width: 2)
        text += "T"
        append(secondOfDay / 3600, width: 2)
        text += ":"
        append(secondOfDay % 3600 / 60, width: 2)
        text += ":"
        append(secondOfDay % 60, width: 2)
        text += "."
        append(milliseconds, width: 3)
        text += "Z"
        return text
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }

    private static func isLeapYear(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    private static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days: exact for the proleptic Gregorian calendar.
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
