import ArgumentParser
import BMSCore

/// `pulsebms-agent check-config FILE`: validates a configuration without touching any bus.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate an agent configuration file and print every problem with its key path.")

    @Argument(help: "The agent configuration file (YAML).")
    var file: String

    func run() throws {
        do {
            let configuration = try ConfigurationLoader.load(path: file)
            print("\(file): OK — site \(configuration.siteID), \(configuration.buses.count) bus(es), \(configuration.devices.count) device(s)")
        } catch {
            printError("\(file): \(error.fieldErrors.count) problem(s)")
            for problem in error.fieldErrors {
                let received = problem.receivedValue.map { " (received \(describe($0)))" } ?? ""
                printError("  \(problem.field.isEmpty ? "<file>" : problem.field): \(problem.message)\(received)")
            }
            throw ExitCode(1)
        }
    }

    private func describe(_ value: JSONValue) -> String {
        (try? String(decoding: WireCoding.encode(value), as: UTF8.self)) ?? "\(value)"
    }
}

/// Writes a line to standard error.
func printError(_ line: String) {
    var standardError = StandardError()
    print(line, to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandleOutput.standardError.write(string)
    }
}
