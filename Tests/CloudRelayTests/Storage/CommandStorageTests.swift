import BMSCore
import Testing
import TestSupport

@testable import CloudRelay

@Suite("Relay store: commands")
struct CommandStorageTests {
    private let t0 = StorageSamples.start

    private func command(_ id: String, timeoutSeconds: Int = 30, at time: Timestamp? = nil) -> CommandMessage {
        CommandMessage(
            commandID: id, timestamp: time ?? t0, source: "operator:key_1",
            command: CommandBody(type: .startCharge, priority: .normal, timeoutSeconds: timeoutSeconds, parameters: ["target_soc": 80]),
            safetyChecks: SafetyChecks(required: true, constraints: CommandConstraints(maxCellVoltage: 3.6)))
    }

    private func response(_ id: String, _ status: CommandStatus, device: String = "pack_a", after seconds: Int64) -> CommandResponseMessage {
        CommandResponseMessage(
            commandID: id, deviceID: device, timestamp: t0.adding(milliseconds: seconds * 1000), status: status,
            message: "step \(status.rawValue)")
    }

    @Test func storedQueuedWithItsDueTimeAndUniqueIDs() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        let stored = try store.insertCommand(command("cmd_1"), deviceID: "pack_a", siteID: "site_001")
        #expect(stored.status == .queued && stored.timeoutAt == t0.adding(milliseconds: 30_000))
        #expect(stored.accepted.commandID == "cmd_1" && stored.accepted.estimatedCompletion == stored.timeoutAt)
        #expect(try store.command(id: "cmd_1") == stored)
        #expect(try store.command(id: "cmd_zz") == nil)
        #expect(storeError { try store.insertCommand(command("cmd_1"), deviceID: "pack_a", siteID: "site_001") } == .conflict("command 'cmd_1'"))
    }

    @Test func theLifecycleOnlyMovesForward() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try store.insertCommand(command("cmd_1"), deviceID: "pack_a", siteID: "site_001")

        let steps: [(CommandStatus, Bool, CommandStatus)] = [
            // response, advanced, status afterwards
            (.executing, true, .executing),
            (.acknowledged, false, .executing),  // late
            (.executing, false, .executing),  // duplicate
            (.queued, false, .executing),
            (.completed, true, .completed),
            (.failed, false, .completed),  // final is final
            (.executing, false, .completed),
        ]
        for (index, (status, advanced, after)) in steps.enumerated() {
            let update = try store.updateCommandStatus(from: response("cmd_1", status, after: Int64(index + 1)))
            #expect(update.advanced == advanced, "step \(index): \(status)")
            #expect(update.command.status == after, "step \(index): \(status)")
        }
        let finished = try #require(try store.command(id: "cmd_1"))
        #expect(finished.status == .completed && finished.statusMessage == "step completed")
        #expect(finished.updatedAt == t0.adding(milliseconds: 5000))

        #expect(storeError { try store.updateCommandStatus(from: response("cmd_zz", .completed, after: 1)) }
            == .notFound("command 'cmd_zz' of device 'pack_a'"))
        #expect(storeError { try store.updateCommandStatus(from: response("cmd_1", .completed, device: "pack_b", after: 1)) }
            == .notFound("command 'cmd_1' of device 'pack_b'"))
    }

    @Test func refusalsKeepTheirFieldErrors() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try store.insertCommand(command("cmd_1"), deviceID: "pack_a", siteID: "site_001")
        var refusal = response("cmd_1", .failed, after: 1)
        refusal.errors = [FieldError(field: "parameters.target_soc", message: "Value must be at most 100", receivedValue: 120)]
        let update = try store.updateCommandStatus(from: refusal)
        #expect(update.advanced && update.command.errors == refusal.errors)
        #expect(try store.command(id: "cmd_1")?.errors == refusal.errors)
    }

    @Test func overdueCommandsTimeOutAndStayTimedOut() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let store = fixture.store
        _ = try store.insertCommand(command("cmd_fast", timeoutSeconds: 10), deviceID: "pack_a", siteID: "site_001")
        _ = try store.insertCommand(command("cmd_slow", timeoutSeconds: 60), deviceID: "pack_a", siteID: "site_001")
        _ = try store.insertCommand(command("cmd_done", timeoutSeconds: 10), deviceID: "pack_a", siteID: "site_001")
        _ = try store.updateCommandStatus(from: response("cmd_done", .completed, after: 2))

        #expect(try store.expireCommands(now: t0.adding(milliseconds: 10_000)).isEmpty)  // due, not yet overdue
        let expired = try store.expireCommands(now: t0.adding(milliseconds: 10_001))
        #expect(expired.map(\.commandID) == ["cmd_fast"])
        #expect(expired.first?.status == .timeout)
        #expect(try store.command(id: "cmd_fast")?.status == .timeout)
        #expect(try store.command(id: "cmd_slow")?.status == .queued)
        #expect(try store.command(id: "cmd_done")?.status == .completed)
        #expect(try store.expireCommands(now: t0.adding(milliseconds: 20_000)).isEmpty)
        // A late completion does not revive a timed-out command.
        #expect(try store.updateCommandStatus(from: response("cmd_fast", .completed, after: 30)).advanced == false)
    }
}
