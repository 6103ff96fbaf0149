import BMSCore
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle

/// Periodic housekeeping: commands past their timeout become `timeout`, and telemetry older than its
/// resolution's retention is pruned. Runs every `interval` until shutdown; a failure is logged and retried at
/// the next round.
struct UpkeepService: Service {
    let store: any RelayStore
    let retention: RetentionPolicy
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await round(now: Timestamp(Date()))
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    break
                }
            }
        }
    }

    /// One round at `now`.
    func round(now: Timestamp) async {
        let store = store
        let retention = retention
        do {
            let expired = try await NIOThreadPool.singleton.runIfActive { try store.expireCommands(now: now) }
            if !expired.isEmpty { logger.notice("Commands timed out", metadata: ["count": "\(expired.count)"]) }
            let pruned = try await NIOThreadPool.singleton.runIfActive { try store.prune(now: now, retention: retention) }
            if pruned.raw + pruned.minute + pruned.hour + pruned.day > 0 {
                logger.info(
                    "Telemetry pruned",
                    metadata: ["raw": "\(pruned.raw)", "minute": "\(pruned.minute)", "hour": "\(pruned.hour)", "day": "\(pruned.day)"])
            }
        } catch {
            logger.error("Upkeep failed", metadata: ["error": "\(error)"])
        }
    }
}
