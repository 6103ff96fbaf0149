import Testing

@testable import BMSCore

@Suite("Command validation")
struct CommandRequestValidationTests {
    @Test(arguments: CommandType.allCases)
    func everyCommandTypeIsAccepted(type: CommandType) throws {
        let request = try CommandRequest.validated(from: ["command_type": .string(type.rawValue)])
        #expect(request.commandType == type)
        #expect(request.effectiveTimeoutSeconds == 30)
    }

    @Test(arguments: [(1, true), (0, false), (300, true), (301, false), (30.5, false), (-5, false)] as [(Double, Bool)])
    func timeoutBounds(timeout: Double, accepted: Bool) {
        let found = CommandRequest.fieldErrors(in: ["command_type": "stop_charge", "timeout_seconds": .number(timeout)])
        #expect(found.isEmpty == accepted)
        if !accepted {
            #expect(found.first?.field == "timeout_seconds")
            #expect(found.first?.receivedValue == .number(timeout))
        }
    }

    @Test func timeoutIsKeptWhenGiven() throws {
        let request = try CommandRequest.validated(from: ["command_type": "request_status", "timeout_seconds": 5])
        #expect(request.effectiveTimeoutSeconds == 5)
    }

    @Test func unknownTypeAndBadParametersAreAllReported() {
        let found = CommandRequest.fieldErrors(in: [
            "command_type": "self_destruct", "parameters": "now", "timeout_seconds": 0, "timeout": 5,
        ])
        #expect(Set(found.map(\.field)) == ["command_type", "parameters", "timeout_seconds", "timeout"])
        #expect(found.first { $0.field == "command_type" }?.message.contains("start_charge") == true)
    }

    @Test(arguments: [
        ("target_soc", 0.0, true), ("target_soc", 100.0, true), ("target_soc", 100.1, false), ("target_soc", -0.1, false),
        ("target_power", 0.0, true), ("target_power", -1.0, false), ("max_current", 0.1, true), ("max_current", 0.0, false),
        ("ramp_rate", 100.0, true), ("ramp_rate", -100.0, false),
    ])
    func wellKnownParameters(name: String, value: Double, accepted: Bool) {
        let found = CommandRequest.fieldErrors(in: ["command_type": "start_charge", "parameters": [name: .number(value)]])
        #expect(found.isEmpty == accepted)
        if !accepted { #expect(found.first?.field == "parameters.\(name)") }
    }

    @Test func otherParametersPassThrough() throws {
        let request = try CommandRequest.validated(from: [
            "command_type": "update_parameters", "parameters": ["balancing_threshold_mv": 15, "note": "x"],
        ])
        #expect(request.parameters?["balancing_threshold_mv"] == 15)
    }

    @Test func nonFiniteParameterInATypedRequestIsRejected() {
        let request = CommandRequest(commandType: .startCharge, parameters: ["target_soc": .number(.nan)])
        #expect(request.fieldErrors().map(\.field) == ["parameters.target_soc"])
    }

    @Test func bodyMustBeAnObject() {
        #expect(CommandRequest.fieldErrors(in: ["start_charge"]).first?.message == "Must be an object")
    }
}
