extension AgeingModel {
    /// Cell temperatures an update accepts, °C. Wider than any BLAST-Lite model's data (about 0–55 °C), which
    /// the models extrapolate; outside it the Arrhenius terms are meaningless.
    public static let temperatureRangeCelsius: ClosedRange<Double> = -40...80

    /// Throws every problem with an update's series at once.
    static func validate(
        timeSeconds: [Double], soc: [Double], temperatureCelsius: [Double]
    ) throws(BatteryModelError) {
        var checks = ModelParameterChecks()
        checks.require(
            timeSeconds.count >= 2 && soc.count == timeSeconds.count && temperatureCelsius.count == timeSeconds.count,
            "timeSeconds",
            "needs at least two samples and one soc and one temperatureCelsius per sample "
                + "(got \(timeSeconds.count), \(soc.count) and \(temperatureCelsius.count))")
        checks.require(timeSeconds.allSatisfy(\.isFinite), "timeSeconds", "every time must be finite")
        checks.require(
            !zip(timeSeconds, timeSeconds.dropFirst()).contains { $0 >= $1 }, "timeSeconds", "must strictly increase")
        checks.require(
            soc.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 }, "soc",
            "every state of charge must be finite and within 0…1")
        let range = temperatureRangeCelsius
        checks.require(
            temperatureCelsius.allSatisfy { $0.isFinite && range.contains($0) }, "temperatureCelsius",
            "every temperature must be finite and within \(range.lowerBound)…\(range.upperBound) °C")
        try checks.throwIfAny()
    }
}
