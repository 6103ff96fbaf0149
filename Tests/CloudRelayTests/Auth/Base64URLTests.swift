import Foundation
import Testing
@testable import CloudRelay

@Suite("Base64URL")
struct Base64URLTests {
    // RFC 4648 §10, without padding.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func urlSafeAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    }

    @Test func roundTripsAgreeWithFoundation() {
        var generator = SeededGenerator(seed: 7)
        for length in 0..<100 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            let foundation = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(encoded == foundation)
            #expect(Base64URL.decode(encoded) == bytes)
        }
    }

    @Test(arguments: [
        "Zg==", "Zg=", "Zm9v+A", "Zm9v/A", "Zm 9v", "Zm9v\n", "Z", "Zm9vY", "Zh", "Zm9", "Zm+", "é",
    ])
    func nonCanonicalTextIsRefused(text: String) {
        #expect(Base64URL.decode(text) == nil, "\(text)")
    }

    @Test func trailingBitsMustBeZero() {
        // "Zg" is 'f'; "Zh"…"Zv" carry the same byte plus non-zero padding bits.
        #expect(Base64URL.decode("Zg") == [0x66])
        for last in Array("hijklmnopqrstuv".utf8) {
            #expect(Base64URL.decode(bytes: [UInt8(ascii: "Z"), last]) == nil)
        }
        // "fo" is "Zm8"; "Zm9" … "Zm-" spell it with non-zero padding bits.
        #expect(Base64URL.decode("Zm8") == Array("fo".utf8))
        #expect(Base64URL.decode("Zm9") == nil)
        #expect(Base64URL.decode("Zm-") == nil)
    }
}

/// SplitMix64: a small deterministic generator for repeatable "random" test data (TestSupport has the same;
/// this copy keeps the auth tests free of that dependency).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
