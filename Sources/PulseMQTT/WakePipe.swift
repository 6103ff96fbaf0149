import CMosquitto
import Foundation
import Synchronization

/// A non-blocking pipe that wakes the network thread's `poll`, written only while that thread sleeps (or is
/// about to): one byte per wake, drained by that thread.
final class WakePipe: Sendable {
    let readDescriptor: Int32
    private let writeDescriptor: Int32
    /// Set by the network thread before it decides to wait, cleared when it wakes.
    let sleeping = Atomic<Bool>(false)

    init() throws(MQTTError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw .library(operation: "pipe", code: MOSQ_ERR_ERRNO.rawValue, message: String(cString: strerror(errno)))
        }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        readDescriptor = ends[0]
        writeDescriptor = ends[1]
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    /// Wakes the network thread if it sleeps; a full pipe already has a wake pending, so a failed write is fine.
    func wake() {
        guard sleeping.exchange(false, ordering: .sequentiallyConsistent) else { return }
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
    }
}
