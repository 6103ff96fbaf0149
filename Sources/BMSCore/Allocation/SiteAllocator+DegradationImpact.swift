/// The spec's `degradation_impact` per device, from the pack twins.
extension SiteAllocator.Result {
    /// `degradation_impact` for `message(…, degradationImpact:)`: for each device with a twin, the extra capacity
    /// loss its allocated power causes over the demand's duration compared with staying idle, in percent of
    /// nameplate capacity (`PackTwin.degradationImpactPercent`, at the twin's ambient temperature; the allocation's
    /// bounds already keep the pack inside its SoC window).
    ///
    /// Devices without a twin, or whose twin cannot run the allocation (a duration outside (0, 24 h], a
    /// temperature the ageing model rejects), are left out. A pack known only by its datasheet and latest reading
    /// gets its twin from `PackTwin(standardFor:nominalCapacityAmpHours:seriesCells:…)`.
    ///
    /// Cost grows with the duration: per device, two runs (the setpoint and idling) of one step per minute and one
    /// ageing update each of as many samples — an hour is 120 pack steps and two 61-sample updates, of the order of
    /// 0.1 ms (an estimate; PulseBMSBench measures it); a 24 h demand costs 24 times that.
    public func degradationImpact(twins: [String: PackTwin], durationMinutes: Double) -> [String: Double] {
        let seconds = durationMinutes * 60
        guard seconds.isFinite, seconds > 0, seconds <= PackTwin.forecastHorizonSeconds.upperBound else { return [:] }
        var impact: [String: Double] = [:]
        for setpoint in setpoints {
            guard let twin = twins[setpoint.deviceID],
                let value = try? twin.degradationImpactPercent(powerWatts: setpoint.powerWatts, duration: .seconds(seconds))
            else { continue }
            impact[setpoint.deviceID] = value
        }
        return impact
    }
}
