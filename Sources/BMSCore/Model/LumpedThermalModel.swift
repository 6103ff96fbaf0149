import Foundation

/// Lumped thermal model of a pack: one heat capacity m·cp that exchanges heat with the ambient air through
/// one conductance hA.
///
/// m·cp·dT/dt = Q − hA·(T − Tamb). With the heat Q and the ambient held constant over a step Δt, the exact
/// solution is T(Δt) = Tamb + Q/hA + (T − Tamb − Q/hA)·exp(−hA·Δt / (m·cp)), so splitting a step into
/// smaller ones gives the same temperature (up to rounding), whatever the step length.
public struct LumpedThermalModel: Sendable, Equatable {
    /// m·cp, the heat capacity of the whole pack, J/K.
    public let thermalMassJoulesPerKelvin: Double
    /// hA, the heat transfer conductance from the pack to the ambient, W/K; 0 means adiabatic.
    public let heatTransferWattsPerKelvin: Double

    /// A thermal model with the given heat capacity and conductance.
    ///
    /// - Throws: `BatteryModelError` unless m·cp is finite and positive and hA is finite and not negative.
    public init(thermalMassJoulesPerKelvin: Double, heatTransferWattsPerKelvin: Double) throws(BatteryModelError) {
        var checks = ModelParameterChecks()
        checks.requirePositive(thermalMassJoulesPerKelvin, "thermalMassJoulesPerKelvin")
        checks.requireNonNegative(heatTransferWattsPerKelvin, "heatTransferWattsPerKelvin")
        try checks.throwIfAny()
        self.thermalMassJoulesPerKelvin = thermalMassJoulesPerKelvin
        self.heatTransferWattsPerKelvin = heatTransferWattsPerKelvin
    }

    /// τ = m·cp / hA, the thermal time constant, s; infinite when adiabatic.
    public var timeConstantSeconds: Double {
        heatTransferWattsPerKelvin > 0 ? thermalMassJoulesPerKelvin / heatTransferWattsPerKelvin : .infinity
    }

    /// Temperature the pack settles at with constant heat, °C; infinite when adiabatic and heated.
    public func steadyStateTemperature(heatWatts: Double, ambientCelsius: Double) -> Double {
        guard heatTransferWattsPerKelvin > 0 else {
            return heatWatts == 0 ? ambientCelsius : (heatWatts > 0 ? .infinity : -.infinity)
        }
        return ambientCelsius + heatWatts / heatTransferWattsPerKelvin
    }

    /// Temperature after `duration`, starting from `temperatureCelsius`, with `heatWatts` generated inside the
    /// pack and the ambient at `ambientCelsius`, both constant over the step; °C.
    ///
    /// Exact for constant heat (see the type's documentation). A zero or negative duration returns the
    /// starting temperature.
    public func temperature(
        after duration: Duration, from temperatureCelsius: Double, heatWatts: Double, ambientCelsius: Double
    ) -> Double {
        let seconds = duration.inSeconds
        guard seconds > 0 else { return temperatureCelsius }
        let conductance = heatTransferWattsPerKelvin
        let heatCapacity = thermalMassJoulesPerKelvin
        // Adiabatic: no exchange with the ambient, the heat only raises the temperature.
        guard conductance > 0 else { return temperatureCelsius + heatWatts * seconds / heatCapacity }
        let settled = ambientCelsius + heatWatts / conductance
        return settled + (temperatureCelsius - settled) * exp(-conductance * seconds / heatCapacity)
    }
}
