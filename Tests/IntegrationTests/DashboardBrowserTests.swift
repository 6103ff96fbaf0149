import BMSCore
import Foundation
import Testing
import TestSupport

/// The dashboard as a browser renders it. Headless Chromium (Debian's `chromium`, installed by
/// scripts/bootstrap.sh) opens it on a relay fed by the simulator through the agent and a real broker.
/// Peers/dashboard_check.py drives the browser over the DevTools protocol: the fleet table with live values,
/// then one pack's page with live tiles, a bar per cell and an open socket, and a screenshot of that page. What
/// the page shows must agree with the relay's REST API and with the simulator. Then the pack is heated until its
/// alarm raises an alert, and an operator reduces its power with the alert's button on the pack's page: the
/// relay must record it as the page shows it, and the command must reach the pack.
@Suite("Dashboard in a browser", .serialized)
struct DashboardBrowserTests {
    static let root = StoreAndForwardTests.root
    static let script = root.appendingPathComponent("Tests/IntegrationTests/Peers/dashboard_check.py").path
    /// The screenshots and the check's report stay here after a run, for a person to look at.
    static let artifacts = root.appendingPathComponent(".build/dashboard-check")
    static let site = "site_e2e"
    /// The pack whose page is opened: unit 2 of `StoreAndForwardTests.site`, NMC with 14 cells (the others have 16).
    static let device = "pack_nmc"
    static let simulatorUnit = 2
    /// Past the charging temperature's recommended safety limit (SAF-OTC-01, 40 °C: an alarm, whose alert offers
    /// reduce_power) and short of every maximum safety limit (45 °C charging, 65 °C), so that no protective stop
    /// latches and the alert stays open while the browser acts. The simulator's hottest cell runs 0.9 K above
    /// the pack, and the pack cools toward 25 °C over about half an hour, far from the alarm's release (38 °C).
    static let alarmTemperatureCelsius = 42

    @Test func fleetAndPackPagesShowTheSimulatedSiteLive() async throws {
        // A missing program fails the test (CI installs them): the error names scripts/bootstrap.sh.
        let chromium = try ChildProcess.locate("chromium")
        let python = try ChildProcess.locate("python3")
        try await MosquittoBroker.withRunning { broker in
            let relay = try await RelayEndToEndTests.startRelay(brokerPort: broker.port)
            let (simulator, directory, config) = try await StoreAndForwardTests.site(brokerPort: broker.port)
            defer {
                directory.remove()
                relay.directory.remove()
            }
            let agent = try StoreAndForwardTests.startAgent(config: config, in: directory)
            let devices = RelayEndToEndTests.devices
            try await eventually("the agent's packs registered, online and reporting", seconds: 30) {
                let ids = relay.call("GET", "/api/v1/devices?site_id=\(Self.site)").json?["devices"]?.arrayValue?
                    .compactMap { $0["device_id"]?.stringValue }.sorted() ?? []
                return ids == devices && devices.allSatisfy { device in
                    relay.call("GET", "/api/v1/devices/\(device)").json?["current_status"]?["status"]?.stringValue == "online"
                        && (relay.call("GET", "/api/v1/telemetry/\(device)?resolution=raw").json?["data_points"]?.numberValue ?? 0) >= 10
                }
            }

            let report = try await Self.runCheck(
                "device", python: python, chromium: chromium, relay: relay,
                options: [
                    "--fleet-screenshot", Self.artifacts.appendingPathComponent("fleet.png").path,
                    "--expect-devices", String(devices.count),
                ])
            let records = Dictionary(uniqueKeysWithValues: devices.compactMap { device in
                relay.call("GET", "/api/v1/devices/\(device)").json.map { (device, $0) }
            })
            #expect(report["console"]?.arrayValue?.filter { $0["level"]?.stringValue == "error" } == [])

            // The fleet table: a row per pack, with the status and SoC the REST API reports.
            let fleet = try #require(report["fleet"])
            let rows = fleet["rows"]?.arrayValue ?? []
            #expect(rows.compactMap { $0["device_id"]?.stringValue } == devices)
            for row in rows {
                let id = row["device_id"]?.stringValue ?? "?"
                let status = records[id]?["current_status"]
                #expect(row["status"]?.stringValue == status?["status"]?.stringValue, "\(id)")
                #expect(
                    Self.isClose(row["soc"], status?["current_soc"]?.numberValue, within: 1),
                    "\(id): the page shows \(row["soc_text"]?.stringValue ?? "nothing"), the API \(status?["current_soc"]?.numberValue ?? Double.nan)")
                #expect((row["live_updates"]?.numberValue ?? 0) >= 1, "\(id) never updated from the socket")
            }
            let tiles = fleet["tiles"]
            #expect(tiles?["total_devices"]?["value"]?.numberValue == Double(devices.count))
            #expect(tiles?["online_devices"]?["value"]?.numberValue == Double(devices.count))
            let socs = devices.compactMap { records[$0]?["current_status"]?["current_soc"]?.numberValue }
            #expect(Self.isClose(tiles?["average_soc"]?["value"], socs.reduce(0, +) / Double(max(socs.count, 1)), within: 1))

            // The pack's page: the record the API serves, a bar per cell, and live values that agree with the
            // simulator and with the telemetry the relay stored.
            let page = try #require(report["device"])
            let record = try #require(records[Self.device])
            #expect(page["device_name"]?.stringValue == record["name"]?.stringValue)
            #expect(page["chemistry"]?.stringValue == record["chemistry"]?.stringValue)
            #expect(page["site_id"]?.stringValue == Self.site)
            #expect(page["status"]?.stringValue == "online")
            let cells = try #require(record["specifications"]?["series_cells"]?.numberValue)
            #expect(page["cell_bars"]?.numberValue == cells)
            #expect(page["cell_bars_drawn"]?.numberValue == cells, "bars counted in the canvas pixels")

            let simulatedSoC = try #require(try simulator.status(unit: Self.simulatorUnit)["soc"] as? Double)
            #expect(Self.isClose(page["soc"]?["value"], simulatedSoC, within: 1), "the simulator holds \(simulatedSoC) %")
            #expect(Self.isClose(page["soc"]?["value"], record["current_status"]?["current_soc"]?.numberValue, within: 1))

            let voltage = try #require(page["voltage"]?["value"]?.numberValue)
            let stored = relay.call("GET", "/api/v1/telemetry/\(Self.device)?resolution=raw&metrics=voltage").json?["statistics"]?["voltage"]
            let low = try #require(stored?["min"]?.numberValue)
            let high = try #require(stored?["max"]?.numberValue)
            #expect(voltage >= low - 0.05 && voltage <= high + 0.05, "the page shows \(voltage) V, the relay stored \(low)…\(high) V")
            // The pack voltage and the cell voltages come from one sample: the cells add up to the pack.
            let cellMin = try #require(page["cell_voltage_min"]?["value"]?.numberValue)
            let cellMax = try #require(page["cell_voltage_max"]?["value"]?.numberValue)
            #expect(voltage >= cellMin * cells - 0.1 && voltage <= cellMax * cells + 0.1, "\(voltage) V from cells \(cellMin)…\(cellMax) V")
            let limits = record["safety_constraints"]
            #expect(cellMin >= limits?["min_cell_voltage"]?.numberValue ?? .infinity)
            #expect(cellMax <= limits?["max_cell_voltage"]?.numberValue ?? -Double.infinity)
            let temperature = try #require(page["temperature"]?["value"]?.numberValue)
            #expect(temperature >= limits?["temperature_limits"]?["min"]?.numberValue ?? .infinity)
            #expect(temperature <= limits?["temperature_limits"]?["max"]?.numberValue ?? -Double.infinity)
            #expect(page["socket"]?.stringValue == "open")
            #expect((page["live_messages"]?.numberValue ?? 0) >= 10)

            // The screenshots are PNGs of a filled page, as reported.
            for key in ["screenshot", "fleet_screenshot"] {
                let shot = try #require(report[key])
                let path = try #require(shot["path"]?.stringValue)
                let png = try Data(contentsOf: URL(fileURLWithPath: path))
                #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "\(key) is not a PNG")
                #expect(Double(png.count) == shot["bytes"]?.numberValue)
                #expect(png.count > 20_000, "\(key): \(png.count) bytes is a blank page")
            }

            // An operator's action in the browser: the pack overheats, its alarm raises an alert offering
            // reduce_power, and the button on the pack's page reduces its power.
            let heated = try simulator.control("temperature \(Self.simulatorUnit) \(Self.alarmTemperatureCelsius)")
            try #require(heated == "ok", "the simulator answered \(heated)")
            try await eventually("an alarm-level temperature alert of \(Self.device) offering reduce_power", seconds: 30) {
                guard let alert = Self.temperatureAlert(relay) else { return false }
                // Waiting for its final severity: a rise after the click would clear the acknowledgement.
                return alert["severity"]?.stringValue == "alarm" && alert["status"]?.stringValue == "active"
                    && alert["actions"]?.arrayValue?.contains { $0["action_id"]?.stringValue == "reduce_power" } == true
            }
            let alertID = try #require(Self.temperatureAlert(relay)?["alert_id"]?.stringValue)
            let acted = try await Self.runCheck(
                "alert", python: python, chromium: chromium, relay: relay, options: ["--alert-action", "reduce_power"])
            #expect(acted["console"]?.arrayValue?.filter { $0["level"]?.stringValue == "error" } == [])
            // A development key's principal is the key's id, the 12 characters after `pbk_`.
            let subject = String(relay.key.dropFirst("pbk_".count).prefix(12))
            let shown = try #require(acted["alert"])
            #expect(shown["alert_id"]?.stringValue == alertID, "the page acted on another alert")
            #expect(shown["action"]?.stringValue == "reduce_power")
            #expect(shown["status_before"]?.stringValue == "active")
            #expect(shown["status"]?.stringValue == "acknowledged")
            #expect(shown["acknowledged_by"]?.stringValue == subject)
            #expect(shown["actions_taken"]?.numberValue == 1)
            #expect(shown["actions_taken_text"]?.stringValue?.contains("reduce power by \(subject)") == true)
            #expect(shown["result_ok"]?.stringValue != "false", "\(shown["result_text"]?.stringValue ?? "")")

            // The relay recorded what the page shows: acknowledged by the key's subject, power reduced by a command
            // that the agent carries out.
            let recorded = try #require(
                relay.call("GET", "/api/v1/alerts?device_id=\(Self.device)").json?["alerts"]?.arrayValue?
                    .first { $0["alert_id"]?.stringValue == alertID })
            #expect(recorded["status"]?.stringValue == "acknowledged")
            #expect(recorded["acknowledged_by"]?.stringValue == subject)
            let reductions = recorded["actions_taken"]?.arrayValue?.filter { $0["action_id"]?.stringValue == "reduce_power" } ?? []
            #expect(reductions.count == 1, "\(reductions)")
            #expect(reductions.first?["taken_by"]?.stringValue == subject)
            let commandID = try #require(reductions.first?["command_id"]?.stringValue)
            try await eventually("reduce_power's command \(commandID) completed on the agent", seconds: 20) {
                relay.call("GET", "/api/v1/commands/\(Self.device)/\(commandID)").json?["status"]?.stringValue == "completed"
            }
            let shot = try #require(acted["screenshot"]?["path"]?.stringValue)
            let png = try Data(contentsOf: URL(fileURLWithPath: shot))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) && png.count > 20_000, "\(shot)")

            await agent.terminate()
            await simulator.stop()
            await relay.process.terminate()
        }
    }

    // MARK: - Helpers

    /// Runs dashboard_check.py with `options` on the relay's dashboard and `device`'s page, and returns its JSON
    /// report. Its files go to `artifacts`, named after `run`: `{run}.png` (the pack's page), `{run}-report.json`
    /// and `{run}-stderr.txt`.
    static func runCheck(
        _ run: String, python: String, chromium: String, relay: RelayEndToEndTests.Relay, options: [String]
    ) async throws -> JSONValue {
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let scratch = try TemporaryDirectory("dashboard")
        defer { scratch.remove() }
        let reportPath = artifacts.appendingPathComponent("\(run)-report.json").path
        let errorPath = artifacts.appendingPathComponent("\(run)-stderr.txt").path
        // The page adopts the token from `access_token` and removes it from the address bar.
        let url = "http://127.0.0.1:\(relay.port)/dashboard/?access_token=\(relay.key)"
        let arguments = [
            python, script, url, device, artifacts.appendingPathComponent("\(run).png").path,
            "--min-live-messages", "10", "--timeout", "90", "--chromium", chromium,
        ] + options
        // ChildProcess puts stdout and stderr in one file; the shell keeps them apart. Chromium's profile goes in
        // the scratch folder (TMPDIR), so it goes with it even if the check is killed; `exec` lets SIGTERM reach
        // the script, which then closes Chromium.
        let command = "TMPDIR=\(quoted(scratch.path)) exec \(arguments.map(Self.quoted).joined(separator: " "))"
            + " > \(quoted(reportPath)) 2> \(quoted(errorPath))"
        let process = try ChildProcess("/bin/sh", ["-c", command])
        let finished = try await withTimeout(.seconds(150)) {
            await process.waitForExit()
            return true
        }
        if finished != true { await process.terminate() }
        let stderr = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
        let reportText = (try? String(contentsOfFile: reportPath, encoding: .utf8)) ?? ""
        try #require(finished == true, "dashboard_check.py (\(run)) did not finish within 150 s")
        try #require(process.exitCode == 0, "dashboard_check.py (\(run)) failed: \(stderr)\nreport: \(reportText.suffix(6000))")
        return try WireCoding.decodeTree(from: Array(reportText.utf8))
    }

    /// The pack's newest unresolved temperature alert, as `GET /alerts` lists it.
    static func temperatureAlert(_ relay: RelayEndToEndTests.Relay) -> JSONValue? {
        relay.call("GET", "/api/v1/alerts?device_id=\(device)").json?["alerts"]?.arrayValue?.first {
            $0["category"]?.stringValue == "temperature" && $0["status"]?.stringValue != "resolved"
        }
    }

    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    static func isClose(_ value: JSONValue?, _ reference: Double?, within tolerance: Double) -> Bool {
        guard let value = value?.numberValue, let reference else { return false }
        return abs(value - reference) <= tolerance
    }
}
