extension SunSpecPoint {
    /// Scale factors pysunspec2 accepts; any other value makes the scaled point unusable.
    public static let scaleFactorRange: ClosedRange<Int16> = -10...10

    /// Powers of ten 10^0 … 10^10, each exactly representable as a `Double`.
    private static let powersOfTen: [Double] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
    ]

    /// `value × 10^scaleFactor`, or `nil` when either is missing (not implemented) or the scale factor is
    /// outside `scaleFactorRange`.
    ///
    /// A negative scale factor divides by an exact power of ten, so 0x1400 with −2 gives exactly the `Double`
    /// nearest 51.2 (the same as `5120.0 / 100`), and 3345 with −3 compares equal to the literal 3.345.
    public static func scaled<Value: BinaryInteger>(_ value: Value?, scaleFactor: Int16?) -> Double? {
        guard let value, let scaleFactor, scaleFactorRange.contains(scaleFactor) else { return nil }
        let magnitude = Int(scaleFactor.magnitude)
        guard powersOfTen.indices.contains(magnitude) else { return nil }
        let number = Double(value)
        return scaleFactor < 0 ? number / powersOfTen[magnitude] : number * powersOfTen[magnitude]
    }
}
