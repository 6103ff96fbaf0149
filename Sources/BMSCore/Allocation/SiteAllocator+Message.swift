/// The spec's power allocation message from an allocation result.
extension SiteAllocator.Result {
    /// Per pack, how likely it is to hold its setpoint for the whole duration: 1 with at least half its range
    /// left, falling linearly to 0.8 at its bound (the bound may move: derating, SoC estimate error).
    /// Unavailable packs report 0.
    public func confidence(of setpoint: SiteAllocator.Setpoint) -> Double {
        if setpoint.constraintsActive == ["offline"] { return 0 }
        let bound = setpoint.powerWatts >= 0 ? setpoint.upperBoundWatts : setpoint.lowerBoundWatts
        guard bound != 0 else { return 1 }
        let used = min(1, abs(setpoint.powerWatts / bound))
        return used <= 0.5 ? 1 : 1 - 0.2 * (used - 0.5) / 0.5
    }

    /// The message to publish on `pulsebms/{site}/coordinator/allocation`.
    ///
    /// - `efficiency_score`: the power-weighted mean one-way efficiency of the packs used (Σ|pᵢ|·ηᵢ / Σ|pᵢ|,
    ///   ηᵢ the discharge or charge efficiency); `efficiency_prediction` is the same figure.
    /// - `completion_probability`: the fraction of the target allocated times the power-weighted mean confidence.
    /// - `degradation_impact`: supplied by the caller, normally `degradationImpact(twins:durationMinutes:)`: per
    ///   device, the extra capacity loss (percent of nameplate) of running its setpoint for the duration rather
    ///   than idling, from its twin's BLAST-Lite ageing model (a caller that keeps no twins builds them with
    ///   `PackTwin(standardFor:nominalCapacityAmpHours:seriesCells:…)`).
    /// - `constraints_active`: the bound each pack sits on (see `SiteAllocator`): `max_discharge_power`,
    ///   `max_charge_power`, `temperature_derate`, `soc_min_energy`, `soc_max_energy` or `offline`.
    public func message(
        allocationID: String, siteID: String, timestamp: Timestamp, demand: PowerDemand, packs: [AllocatorPack],
        degradationImpact: [String: Double]
    ) -> PowerAllocationMessage {
        let efficiencies = Dictionary(uniqueKeysWithValues: packs.map { ($0.deviceID, totalWatts >= 0 ? $0.dischargeEfficiency : $0.chargeEfficiency) })
        let magnitude = setpoints.map { abs($0.powerWatts) }.reduce(0, +)
        let efficiency = magnitude > 0
            ? setpoints.map { abs($0.powerWatts) * (efficiencies[$0.deviceID] ?? 1) }.reduce(0, +) / magnitude : 1
        let meanConfidence = magnitude > 0
            ? setpoints.map { abs($0.powerWatts) * confidence(of: $0) }.reduce(0, +) / magnitude : 1
        let met = demand.totalPowerTarget == 0 ? 1 : min(1, abs(totalWatts) / abs(demand.totalPowerTarget))
        return PowerAllocationMessage(
            timestamp: timestamp, allocationID: allocationID, siteID: siteID, demand: demand,
            allocation: PowerAllocation(
                optimizationMethod: "water_filling_qp", totalAllocated: totalWatts, efficiencyScore: efficiency,
                devices: setpoints.map {
                    DeviceAllocation(
                        deviceID: $0.deviceID, allocatedPower: $0.powerWatts, confidence: confidence(of: $0),
                        constraintsActive: $0.constraintsActive)
                }),
            forecasts: AllocationForecasts(
                degradationImpact: degradationImpact, efficiencyPrediction: efficiency, completionProbability: met * meanConfidence))
    }
}
