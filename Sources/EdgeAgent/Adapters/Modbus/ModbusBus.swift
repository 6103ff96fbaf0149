import Foundation
import Synchronization

/// One Modbus line and the thread that owns it.
///
/// libmodbus contexts block and are not thread-safe, so every request of the line runs, in order, on this
/// bus's own thread — never on Swift's cooperative pool. Callers `await` their request.
final class ModbusBus: Sendable {
    let id: String
    let endpoint: ModbusEndpoint
    private let queue = Mutex<[Job]>([])
    private let available = DispatchSemaphore(value: 0)
    private let stopped = Mutex(false)

    private typealias Job = @Sendable (ModbusConnection?) -> Void

    init(id: String, endpoint: ModbusEndpoint, responseTimeout: Duration) {
        self.id = id
        self.endpoint = endpoint
        let thread = Thread { [self] in run(responseTimeout: responseTimeout) }
        thread.name = "modbus-\(id)"
        thread.start()
    }

    /// The bus thread: the connection lives and dies here. The thread keeps the bus alive until `stop()`.
    private func run(responseTimeout: Duration) {
        let connection = try? ModbusConnection(endpoint, responseTimeout: responseTimeout)
        while true {
            available.wait()
            let job = queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if let job {
                job(connection)
            } else if stopped.withLock({ $0 }) {
                break
            }
        }
        connection?.disconnect()
    }

    /// Runs `work` on the bus thread and returns its result.
    func perform<Result: Sendable>(
        _ work: @escaping @Sendable (ModbusConnection) throws(ModbusError) -> Result
    ) async throws(ModbusError) -> Result {
        let outcome: Swift.Result<Result, ModbusError> = await withCheckedContinuation { continuation in
            let accepted = queue.withLock { jobs -> Bool in
                if stopped.withLock({ $0 }) { return false }
                jobs.append { connection in
                    guard let connection else {
                        continuation.resume(returning: .failure(.setup("the context for \(self.endpoint) could not be created")))
                        return
                    }
                    do throws(ModbusError) {
                        continuation.resume(returning: .success(try work(connection)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                }
                return true
            }
            if accepted {
                available.signal()
            } else {
                continuation.resume(returning: .failure(.linkDown("the bus is stopped")))
            }
        }
        return try outcome.get()
    }

    /// Lets queued requests finish, then ends the thread and closes the link.
    func stop() {
        stopped.withLock { $0 = true }
        available.signal()
    }
}
