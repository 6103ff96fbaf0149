import Foundation
import Testing

@testable import BMSCore
import TestSupport

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test(arguments: [
        ("2024-01-15T14:30:15.123Z", Int64(1_705_329_015_123)),
        ("2024-01-15T14:30:15Z", Int64(1_705_329_015_000)),
        ("2024-01-15T14:30:15.1Z", Int64(1_705_329_015_100)),
        ("2024-01-15T14:30:15.123456789Z", Int64(1_705_329_015_123)),
        ("2024-01-15t14:30:15z", Int64(1_705_329_015_000)),
        ("2024-01-15T15:30:15.123+01:00", Int64(1_705_329_015_123)),
        ("2024-01-15T09:00:15.123-05:30", Int64(1_705_329_015_123)),
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("1969-12-31T23:59:59.999Z", Int64(-1)),
        ("2024-02-29T00:00:00Z", Int64(1_709_164_800_000)),
        ("2000-02-29T12:00:00Z", Int64(951_825_600_000)),
    ])
    func parses(text: String, milliseconds: Int64) throws {
        #expect(try Timestamp(rfc3339: text).millisecondsSinceEpoch == milliseconds)
    }

    @Test(arguments: [
        "", "2024-01-15", "2024-01-15T14:30:15", "2024-01-15 14:30:15Z", "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
        "2024-01-15T24:00:00Z", "2024-01-15T14:60:00Z", "2024-01-15T14:30:61Z", "2024-01-15T14:30:15.Z",
        "2024-01-15T14:30:15+0100", "2024-01-15T14:30:15Zjunk", "24-01-15T14:30:15Z", "2024-1-15T14:30:15Z",
    ])
    func rejects(text: String) {
        #expect(throws: TimestampError.self) { try Timestamp(rfc3339: text) }
    }

    @Test func formatsInUTCWithMilliseconds() {
        #expect(Timestamp(millisecondsSinceEpoch: 1_705_329_015_123).rfc3339 == "2024-01-15T14:30:15.123Z")
        #expect(Timestamp(millisecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_709_164_800_007).rfc3339 == "2024-02-29T00:00:00.007Z")
    }

    /// Foundation's ISO 8601 formatter is the oracle, over instants spread from 1970 to 2100.
    @Test func agreesWithFoundationOverManyInstants() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let milliseconds = Int64(generator.next() % 4_102_444_800_000)
            let ours = Timestamp(millisecondsSinceEpoch: milliseconds)
            let theirs = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(ours.rfc3339 == theirs)
            #expect(try Timestamp(rfc3339: theirs) == ours)
        }
    }
}
