import BMSCore
import Foundation
import Hummingbird
import NIOPosix

/// Sends commands and power allocations down to a site; the MQTT link in production, a recorder in tests.
protocol CommandSender: Sendable {
    func send(_ message: CommandMessage, siteID: String, deviceID: String) async throws
    /// Publishes a power allocation (QoS 1, not retained) on `pulsebms/{site}/coordinator/allocation`.
    func send(_ allocation: PowerAllocationMessage, siteID: String) async throws
    /// Whether the downlink is connected now (for GET /health).
    var isConnected: Bool { get }
}

/// The REST API under /api/v1, exactly the spec's shapes. Storage calls block (SQLite), so they run on NIO's
/// blocking thread pool, never on the two-thread cooperative pool.
struct RelayAPI: Sendable {
    let store: any RelayStore
    let commands: any CommandSender
    let metrics: RequestMetrics
    let startedAt: ContinuousClock.Instant
    /// A device with no message for this long shows as offline.
    let offlineAfter: Duration
    let version: String
    /// The live streams, told of alerts changed through the API.
    var hub: LiveHub? = nil

    static let pageLimitRange = 1...500

    /// Every operation `register(on:)` serves, as the OpenAPI document names them (a test keeps the two equal).
    static let operations: [(method: String, path: String)] = [
        ("GET", "/api/v1/health"), ("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/devices"), ("POST", "/api/v1/devices"),
        ("GET", "/api/v1/devices/{device_id}"), ("PATCH", "/api/v1/devices/{device_id}"),
        ("DELETE", "/api/v1/devices/{device_id}"), ("GET", "/api/v1/telemetry/{device_id}"),
        ("POST", "/api/v1/commands/{device_id}"), ("GET", "/api/v1/commands/{device_id}/{command_id}"),
        ("GET", "/api/v1/fleet/{site_id}"), ("GET", "/api/v1/alerts"), ("POST", "/api/v1/alerts/{alert_id}/acknowledge"),
        ("POST", "/api/v1/alerts/{alert_id}/actions/{action_id}"),
        ("POST", "/api/v1/fleet/{site_id}/allocation"),
    ]

    func register(on router: Router<RelayContext>) {
        // "/dashboard" and "/dashboard/" are one route (the page's assets are addressed absolutely).
        for (path, asset) in DashboardAssets.files {
            let body = RelayAssets.text(asset.file)  // read once, at start-up
            router.get(RouterPath(path)) { _, _ in
                guard let body else { throw APIError.assetsMissing(asset.file) }
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: asset.contentType, .cacheControl: "no-cache",
                        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:",
                    ],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
            }
        }
        let api = router.group("api/v1")
        api.get("health") { _, _ in try await health() }
        api.get("openapi.json") { _, _ in
            guard let document = OpenAPIDocument.json else { throw APIError.assetsMissing("openapi.json") }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: document)))
        }
        api.get("devices") { request, context in try await listDevices(request, context) }
        api.post("devices") { request, context in try await createDevice(request, context) }
        api.get("devices/:device_id") { _, context in try await getDevice(context) }
        api.patch("devices/:device_id") { request, context in try await patchDevice(request, context) }
        api.delete("devices/:device_id") { _, context in try await deleteDevice(context) }
        api.get("telemetry/:device_id") { request, context in try await telemetry(request, context) }
        api.post("commands/:device_id") { request, context in try await sendCommand(request, context) }
        api.get("commands/:device_id/:command_id") { _, context in try await commandStatus(context) }
        api.get("fleet/:site_id") { _, context in try await fleet(context) }
        api.get("alerts") { request, context in try await alerts(request, context) }
        api.post("alerts/:alert_id/acknowledge") { _, context in try await acknowledgeAlert(context) }
        api.post("alerts/:alert_id/actions/:action_id") { request, context in try await takeAlertAction(request, context) }
        api.post("fleet/:site_id/allocation") { request, context in try await forwardAllocation(request, context) }
    }

    /// Runs a blocking storage call off the cooperative pool.
    func blocking<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    static func now() -> Timestamp { Timestamp(Date()) }

    // MARK: - Health

    func health() async throws -> Response {
        let store = store
        let now = Self.now()
        let (database, active): (ServiceHealth, Int) = await {
            do {
                return try await blocking {
                    try store.ping()
                    return (.healthy, try store.activeDeviceCount(receivedSince: now.adding(milliseconds: -offlineAfter.saturatingMilliseconds)))
                }
            } catch {
                return (.unhealthy, 0)
            }
        }()
        let mqtt: ServiceHealth = commands.isConnected ? .healthy : .unhealthy
        let status: HealthStatus = database == .unhealthy ? .unhealthy : (mqtt == .unhealthy ? .degraded : .healthy)
        let figures = metrics.requestFigures()
        let uptime = ContinuousClock.now - startedAt
        let body = HealthResponse(
            status: status, version: version, timestamp: now,
            uptimeSeconds: Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18,
            services: ServiceHealthReport(database: database, mqtt: mqtt),
            metrics: HealthMetrics(
                activeDevices: active, messagesPerSecond: metrics.messagesPerSecond(),
                responseTimeMilliseconds: figures.responseTimeMilliseconds, errorRate: figures.errorRate))
        return JSONResponse.make(body, status: status == .unhealthy ? .serviceUnavailable : .ok)
    }

    // MARK: - Devices

    func listDevices(_ request: Request, _ context: RelayContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let query = request.uri.queryParameters
        let siteID = query.get("site_id")
        if let siteID { try principal.requireAccess(toSite: siteID) }
        let limit = try Self.integer(query.get("limit"), name: "limit", default: 100, range: Self.pageLimitRange)
        let offset = try Self.integer(query.get("offset"), name: "offset", default: 0, range: 0...Int(Int32.max))
        let allowed = principal.sites.map { Array($0).sorted() }
        let store = store
        let page = try await blocking { try store.devices(siteID: siteID, allowedSites: allowed, limit: limit, offset: offset) }
        let now = Self.now()
        return JSONResponse.make(
            DeviceList(devices: page.items.map { $0.device(now: now, offlineAfter: offlineAfter) }, total: page.total, limit: limit, offset: offset))
    }

    func createDevice(_ request: Request, _ context: RelayContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try principal.require(.manageDevices)
        let tree = try await request.jsonBody(context: context)
        let problems = DeviceRegistration.fieldErrors(in: tree)
        guard problems.isEmpty else { throw APIError.validation(ValidationFailure(problems)) }
        let registration: DeviceRegistration
        do {
            registration = try WireCoding.decode(DeviceRegistration.self, from: tree)
        } catch {
            throw APIError.badRequest(error.reason, field: error.path)
        }
        try principal.requireAccess(toSite: registration.siteID)
        let store = store
        let now = Self.now()
        let stored: StoredDevice
        do {
            stored = try await blocking { try store.register(registration, at: now) }
        } catch RelayStoreError.conflict {
            throw APIError(
                status: .conflict, code: .deviceExists, message: "Device with ID '\(registration.deviceID)' already exists",
                details: ["device_id": .string(registration.deviceID)])
        }
        return JSONResponse.make(stored.device(now: now, offlineAfter: offlineAfter), status: .created)
    }

    /// The device named in the path, visible to the caller; 404 with `available_devices` otherwise.
    func visibleDevice(_ context: RelayContext) async throws -> (StoredDevice, Principal) {
        let principal = try context.requirePrincipal()
        let deviceID = context.parameters.get("device_id") ?? ""
        let store = store
        // A pack of a site the caller may not see is as missing as one that does not exist: a 403 would tell a
        // site-limited key that it exists.
        guard let device = try await blocking({ try store.device(id: deviceID) }), principal.canAccess(site: device.siteID) else {
            throw try await deviceNotFound(deviceID, principal: principal)
        }
        return (device, principal)
    }

    func deviceNotFound(_ deviceID: String, principal: Principal) async throws -> APIError {
        let store = store
        let known = try await blocking { try store.deviceIDs(siteID: nil) }
        let visible: [String]
        if principal.sites == nil {
            visible = known
        } else {
            var ids: [String] = []
            for site in (principal.sites ?? []).sorted() { ids += try await blocking { try store.deviceIDs(siteID: site) } }
            visible = ids
        }
        return APIError(
            status: .notFound, code: .deviceNotFound, message: "Device with ID '\(deviceID)' not found",
            details: ["device_id": .string(deviceID), "available_devices": .array(visible.prefix(100).map { .string($0) })])
    }

    func getDevice(_ context: RelayContext) async throws -> Response {
        let (device, _) = try await visibleDevice(context)
        return JSONResponse.make(device.device(now: Self.now(), offlineAfter: offlineAfter))
    }

    func patchDevice(_ request: Request, _ context: RelayContext) async throws -> Response {
        let (device, principal) = try await visibleDevice(context)
        try principal.require(.manageDevices)
        let tree = try await request.jsonBody(context: context)
        guard case .object(let members) = tree else { throw APIError.badRequest("Must be an object", received: tree) }
        let allowed: Set<String> = ["name", "specifications", "safety_constraints"]
        var problems = members.keys.sorted().filter { !allowed.contains($0) }.map {
            FieldError(field: $0, message: "Unknown field (allowed: name, specifications, safety_constraints)", receivedValue: members[$0])
        }
        if members.isEmpty { problems.append(FieldError(field: "", message: "Give at least one of name, specifications, safety_constraints")) }
        guard problems.isEmpty else { throw APIError.validation(ValidationFailure(problems)) }
        // The patched device must pass the same rules as a new one.
        var merged: JSONObject
        do {
            guard case .object(let current) = try WireCoding.decodeTree(from: WireCoding.encode(device.registration)) else {
                throw APIError.internalError
            }
            merged = current
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.internalError
        }
        for (key, value) in members { merged[key] = value }
        let mergedProblems = DeviceRegistration.fieldErrors(in: .object(merged))
        guard mergedProblems.isEmpty else { throw APIError.validation(ValidationFailure(mergedProblems)) }
        let patched: DeviceRegistration
        do {
            patched = try WireCoding.decode(DeviceRegistration.self, from: .object(merged))
        } catch {
            throw APIError.badRequest(error.reason, field: error.path)
        }
        let patch = DevicePatch(
            name: members["name"] == nil ? nil : patched.name,
            specifications: members["specifications"] == nil ? nil : patched.specifications,
            safetyConstraints: members["safety_constraints"] == nil ? nil : patched.safetyConstraints)
        let store = store
        let now = Self.now()
        let deviceID = device.deviceID
        let updated = try await blocking { try store.update(id: deviceID, patch: patch, at: now) }
        return JSONResponse.make(updated.device(now: now, offlineAfter: offlineAfter))
    }

    func deleteDevice(_ context: RelayContext) async throws -> Response {
        let (device, principal) = try await visibleDevice(context)
        try principal.require(.manageDevices)
        let store = store
        let deviceID = device.deviceID
        _ = try await blocking { try store.delete(id: deviceID) }
        return Response(status: .noContent)
    }

    // MARK: - Query helpers

    /// An integer query parameter within `range`; a 400 naming it otherwise.
    static func integer(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest(
                "Must be an integer between \(range.lowerBound) and \(range.upperBound)", field: name, received: .string(text))
        }
        return number
    }
}

/// GET /devices.
struct DeviceList: Encodable, Sendable {
    var devices: [Device]
    var total: Int
    var limit: Int
    var offset: Int
}
