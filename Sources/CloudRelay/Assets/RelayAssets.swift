import BMSCore
import Foundation

/// The relay's files — the OpenAPI document and the dashboard — shipped as the target's resources
/// (`PulseBMS_CloudRelay.resources`, next to the binary after `swift build`).
///
/// They are found without `Bundle.module`, whose accessor stops the process when the folder is missing: an
/// installed relay looks in `PULSEBMS_RELAY_ASSETS`, next to its executable, then in
/// `/usr/local/share/pulsebms`; when none holds them, those routes answer 503 and everything else works.
enum RelayAssets {
    static let bundleName = "PulseBMS_CloudRelay.resources"

    /// The folder holding the files, if one is found.
    static let directory: String? = {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["PULSEBMS_RELAY_ASSETS"] { candidates.append(configured) }
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            candidates.append(executable.appendingPathComponent(bundleName).path)
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent(bundleName).path)
        candidates.append("/usr/local/share/pulsebms/\(bundleName)")
        return candidates.first { FileManager.default.fileExists(atPath: "\($0)/openapi.json") }
    }()

    /// The text of one file, or `nil` when the files are not installed.
    static func text(_ name: String) -> String? {
        directory.flatMap { try? String(contentsOfFile: "\($0)/\(name)", encoding: .utf8) }
    }
}

/// The OpenAPI 3.1 document of everything the relay serves (`openapi.json`, served at /api/v1/openapi.json).
enum OpenAPIDocument {
    static let json: String? = RelayAssets.text("openapi.json")

    /// Every operation the document describes, as (`GET`, `/api/v1/devices/{device_id}`), sorted by path then
    /// method, for comparison with the router's routes. Empty if the document is missing or does not parse.
    static var operations: [(method: String, path: String)] {
        guard let json, let document = try? WireCoding.decodeTree(from: Array(json.utf8)),
            let paths = document["paths"]?.objectValue
        else { return [] }
        var result: [(method: String, path: String)] = []
        for (path, item) in paths {
            guard let members = item.objectValue else { continue }
            for key in members.keys where httpMethods.contains(key) {
                result.append((method: key.uppercased(), path: path))
            }
        }
        return result.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    /// The members of an OpenAPI path item that are operations (the others are `parameters`, `summary`, …).
    private static let httpMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
}

/// The dashboard's files by URL path, with their content types.
enum DashboardAssets {
    static let files: [String: (contentType: String, file: String)] = [
        "/dashboard/": ("text/html; charset=utf-8", "index.html"),
        "/dashboard/index.html": ("text/html; charset=utf-8", "index.html"),
        "/dashboard/dashboard.css": ("text/css; charset=utf-8", "dashboard.css"),
        "/dashboard/dashboard.js": ("text/javascript; charset=utf-8", "dashboard.js"),
    ]
}
