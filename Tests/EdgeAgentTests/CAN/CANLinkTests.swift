import BMSCore
import CSocketCAN
import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

@testable import EdgeAgent

/// SocketCAN up to the socket call (this kernel has no AF_CAN), and the kernel structures it fills.
@Suite("SocketCAN")
struct SocketCANTests {
    @Test func classicFrameRoundTripsThroughTheKernelLayout() throws {
        let frame = try CANFrame(id: 0x356, data: [0x7A, 0x13, 0xF2, 0xFE, 0x6B, 0x01])
        let raw = try SocketCANFrames.classic(frame)
        #expect(raw.can_id == 0x356)
        #expect(raw.len == 6)
        #expect(withUnsafeBytes(of: raw.data) { Array($0.prefix(6)) } == frame.data)
        #expect(MemoryLayout<can_frame>.size == 16)
        var fd = canfd_frame()
        withUnsafeMutableBytes(of: &fd) { target in
            withUnsafeBytes(of: raw) { source in target.copyMemory(from: source) }
        }
        #expect(SocketCANFrames.frame(classic: fd) == frame)
    }

    @Test func extendedRemoteAndErrorFlagsReachTheCANIDWord() throws {
        let extended = try CANFrame(id: 0x1234_5678, isExtended: true, data: [1])
        #expect(try SocketCANFrames.classic(extended).can_id == 0x1234_5678 | 0x8000_0000)
        let remote = try CANFrame.remote(id: 0x123, requestedLength: 4)
        let raw = try SocketCANFrames.classic(remote)
        #expect(raw.can_id == 0x123 | 0x4000_0000)
        #expect(raw.len == 4)
        var fd = canfd_frame()
        fd.can_id = raw.can_id
        fd.len = raw.len
        #expect(SocketCANFrames.frame(classic: fd)?.isRemote == true)
        fd.can_id = 0x2000_0004
        fd.len = 8
        #expect(SocketCANFrames.frame(classic: fd)?.isError == true)
    }

    @Test func fdFramesCarryTheirFlagsAndImpossibleLengthsAreRefused() throws {
        let frame = try CANFrame(id: 0x400, data: Array(0..<12), isFD: true, bitRateSwitch: true)
        let raw = SocketCANFrames.fd(frame)
        #expect(raw.len == 12)
        #expect(raw.flags & UInt8(CANFD_BRS) != 0)
        #expect(raw.flags & UInt8(CANFD_FDF) != 0)
        #expect(SocketCANFrames.frame(fd: raw) == frame)
        #expect(throws: CANBusError.self) { try SocketCANFrames.classic(frame) }
        var broken = canfd_frame()
        broken.len = 65
        #expect(SocketCANFrames.frame(fd: broken) == nil)
        broken.len = 9
        #expect(SocketCANFrames.frame(classic: broken) == nil)
    }

    @Test func profileFiltersBecomeKernelFilters() {
        let filters = CANBusBMSFrameID.batteryFilters
        let kernel = SocketCANFrames.kernelFilters(filters)
        #expect(kernel.count == filters.count)
        for id in CANBusBMSFrameID.batteryFrames.map(\.rawValue) {
            #expect(kernel.contains { ($0.can_id & $0.can_mask) == (id & $0.can_mask) }, "0x\(String(id, radix: 16))")
        }
        // 0x305 (the agent's own keep-alive) and foreign ids do not pass.
        for id: UInt32 in [0x305, 0x100, 0x7FF] {
            #expect(!kernel.contains { ($0.can_id & $0.can_mask) == (id & $0.can_mask) }, "0x\(String(id, radix: 16))")
        }
    }

    @Test func receiveTimestampIsReadFromTheControlMessage() {
        var control = [UInt8](repeating: 0, count: 64)
        var header = cmsghdr()
        header.cmsg_len = MemoryLayout<cmsghdr>.size + MemoryLayout<timeval>.size
        header.cmsg_level = SOL_SOCKET
        header.cmsg_type = SO_TIMESTAMP
        let time = timeval(tv_sec: 1_700_000_000, tv_usec: 123_456)
        control.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: header, as: cmsghdr.self)
            bytes.storeBytes(of: time, toByteOffset: MemoryLayout<cmsghdr>.size, as: timeval.self)
        }
        #expect(SocketCANFrames.timestamp(fromControl: control)?.millisecondsSinceEpoch == 1_700_000_000_123)
        #expect(SocketCANFrames.timestamp(fromControl: [UInt8](repeating: 0, count: 64)) == nil)
        #expect(SocketCANFrames.timestamp(fromControl: []) == nil)
    }

    /// Without AF_CAN the socket call fails; with it and no such interface, the lookup does. Either way the
    /// error names what failed, and nothing crashes.
    @Test func openingFailsWithAClearError() {
        do {
            _ = try SocketCANChannel(interface: "pulsecan9", filters: CANBusBMSFrameID.batteryFilters, acceptsFD: false)
            Issue.record("opened a CAN interface that does not exist")
        } catch {
            guard case .open(let reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(reason.contains("socket(PF_CAN") || reason.contains("pulsecan9"), "\(reason)")
        }
        #expect(throws: CANBusError.self) { try SocketCANLink(interface: "pulsecan9").state() }
    }
}

/// The slcan link against an adapter played by the test on a real pseudo-terminal pair.
@Suite("slcan link")
struct SlcanLinkTests {
    /// A pseudo-terminal whose master side the test drives as the adapter.
    final class FakeAdapter: @unchecked Sendable {
        let master: Int32
        let slave: Int32
        let path: String
        var received: [UInt8] = []

        init() throws {
            var master: Int32 = -1
            var slave: Int32 = -1
            guard openpty(&master, &slave, nil, nil, nil) == 0, let name = terminalName(slave) else {
                throw CANBusError.open("openpty: \(String(cString: strerror(errno)))")
            }
            // Not inherited by the processes other tests start meanwhile.
            _ = fcntl(master, F_SETFD, FD_CLOEXEC)
            _ = fcntl(slave, F_SETFD, FD_CLOEXEC)
            var settings = termios()
            tcgetattr(slave, &settings)
            cfmakeraw(&settings)
            tcsetattr(slave, TCSANOW, &settings)
            self.master = master
            self.slave = slave
            path = name
        }

        deinit {
            close(master)
            close(slave)
        }

        /// Reads what the host sent until `count` CRs arrived, answering each command line with `reply(line)`.
        func answer(lines count: Int, reply: (String) -> [UInt8]) {
            var lines = 0
            var current: [UInt8] = []
            while lines < count {
                var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 5000) > 0 else { return }
                var byte: UInt8 = 0
                guard read(master, &byte, 1) == 1 else { return }
                received.append(byte)
                if byte == 0x0D {
                    lines += 1
                    let answer = reply(String(decoding: current, as: UTF8.self))
                    _ = answer.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
                    current.removeAll()
                } else {
                    current.append(byte)
                }
            }
        }

        /// `answer` on its own thread (the host side blocks while it waits for the answers); returns a
        /// semaphore signalled when done.
        func answerInBackground(lines count: Int, reply: @escaping @Sendable (String) -> [UInt8]) -> DispatchSemaphore {
            let done = DispatchSemaphore(value: 0)
            let thread = Thread { [self] in
                answer(lines: count, reply: reply)
                done.signal()
            }
            thread.start()
            return done
        }

        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
        }
    }

    @Test func handshakeSetsTheBitrateOpensAndPassesFrames() async throws {
        try await onBlockingThread {
            let adapter = try FakeAdapter()
            // Closing an already closed channel answers BEL.
            let answered = adapter.answerInBackground(lines: 3) { $0 == "C" ? [0x07] : [0x0D] }
            let channel = try SlcanChannel(device: adapter.path, bitrate: 500_000, serialBaud: 115_200, setupTimeoutMilliseconds: 10_000)
            answered.wait()
            #expect(String(decoding: adapter.received, as: UTF8.self) == "C\rS6\rO\r")

            // Frames split anywhere, garbage and a BEL in between.
            adapter.send("t35")
            adapter.send("667A13F2FE6B01\rxyz\r\u{07}t3554")
            adapter.send("1A006400\r")
            var receptions: [CANReception] = []
            for _ in 0..<50 where receptions.count < 3 {
                if let reception = try channel.receive(timeoutMilliseconds: 100) { receptions.append(reception) }
            }
            #expect(receptions.count == 3)
            guard receptions.count == 3 else { return }
            if case .frame(let frame, _) = receptions[0] { #expect(frame.id == 0x356 && frame.data.count == 6) } else { Issue.record("\(receptions[0])") }
            if case .malformed = receptions[1] {} else { Issue.record("garbage was not reported: \(receptions[1])") }
            if case .frame(let frame, _) = receptions[2] { #expect(frame.id == 0x355 && frame.data == [0x1A, 0, 0x64, 0]) } else { Issue.record("\(receptions[2])") }

            let acknowledged = adapter.answerInBackground(lines: 1) { _ in [0x0D] }
            try channel.send(CANBusBMSEncoder.keepAliveFrame())
            acknowledged.wait()
            #expect(String(decoding: adapter.received, as: UTF8.self).hasSuffix("t3058" + String(repeating: "0", count: 16) + "\r"))
            // A transmit the adapter refuses (BEL) is an error, never a protective command counted as done.
            let refused = adapter.answerInBackground(lines: 1) { _ in [0x07] }
            #expect(throws: CANBusError.self) { try channel.send(try CANCommandFrame.parse("380#01")) }
            refused.wait()
            channel.close()
        }
    }

    @Test func anAdapterThatRefusesTheBitrateIsReported() async throws {
        try await onBlockingThread {
            let adapter = try FakeAdapter()
            let answered = adapter.answerInBackground(lines: 2) { $0.hasPrefix("S") ? [0x07] : [0x0D] }
            #expect(throws: CANBusError.refused("the adapter on \(adapter.path) refused S6")) {
                // A generous deadline: the answering thread may wait for a core on a busy machine.
                try SlcanChannel(device: adapter.path, bitrate: 500_000, serialBaud: 115_200, setupTimeoutMilliseconds: 10_000)
            }
            answered.wait()
        }
    }

    /// A second opener of an adapter already in use is refused at once, before it writes a byte that would
    /// take the first one's answers.
    @Test func anAdapterInUseIsNotOpenedTwice() async throws {
        try await onBlockingThread {
            let adapter = try FakeAdapter()
            let first = try SerialPort(path: adapter.path, baud: 115_200)
            #expect(throws: CANBusError.open("\(adapter.path) is in use by another program")) {
                try SerialPort(path: adapter.path, baud: 115_200)
            }
            var waiting = pollfd(fd: adapter.master, events: Int16(POLLIN), revents: 0)
            #expect(poll(&waiting, 1, 0) == 0)  // nothing was written
            first.close()
            // Free again once closed. (A process another test starts at this moment holds a copy of the
            // descriptor, and so the lock, between its fork and its exec: the reopen waits that out.)
            let deadline = ContinuousClock.now + .seconds(5)
            var second: SerialPort?
            while second == nil, ContinuousClock.now < deadline {
                second = try? SerialPort(path: adapter.path, baud: 115_200)
                if second == nil { usleep(10_000) }
            }
            #expect(second != nil, "\(adapter.path) stayed locked after its holder closed it")
            second?.close()
        }
    }

    /// A refused open closes its descriptor once. It used to close it again in `deinit` (which runs when an
    /// initializer throws after setting every property), and so closed whatever another thread had opened
    /// under that number in between: here a file the test holds, or the next refused attempt's descriptor.
    @Test func aRefusedOpenClosesItsDescriptorOnce() async throws {
        try await onBlockingThread {
            let adapter = try FakeAdapter()
            let holder = try SerialPort(path: adapter.path, baud: 115_200)
            defer { holder.close() }
            let finished = Atomic<Bool>(false)
            let unexpected = Mutex<[String]>([])
            let opener = Thread {
                for _ in 0..<5_000 {
                    do throws(CANBusError) {
                        _ = try SerialPort(path: adapter.path, baud: 115_200)
                        unexpected.withLock { $0.append("opened twice") }
                    } catch {
                        if error != .open("\(adapter.path) is in use by another program") {
                            unexpected.withLock { $0.append("\(error)") }
                        }
                    }
                }
                finished.store(true, ordering: .releasing)
            }
            opener.start()
            var closedUnderUs = 0
            while !finished.load(ordering: .acquiring) {
                let descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else { continue }
                if fcntl(descriptor, F_GETFD) == -1 { closedUnderUs += 1 } else { close(descriptor) }
            }
            #expect(closedUnderUs == 0)
            #expect(unexpected.withLock { $0 }.isEmpty, "\(unexpected.withLock { $0.prefix(3) })")
        }
    }

    @Test func aSilentDeviceTimesOutAndAMissingOneFailsToOpen() async throws {
        try await onBlockingThread {
            let adapter = try FakeAdapter()
            #expect(throws: CANBusError.self) { try SlcanChannel(device: adapter.path, bitrate: 500_000, serialBaud: 115_200) }
            #expect(throws: CANBusError.self) { try SlcanChannel(device: "/nonexistent/ttyACM9", bitrate: 500_000, serialBaud: 115_200) }
            #expect(throws: CANBusError.self) { try SlcanChannel(device: adapter.path, bitrate: 300_000, serialBaud: 115_200) }
        }
    }
}

/// candump replay as a bus feeding a pack source.
@Suite("candump replay")
struct CandumpReplayTests {
    static func log(in directory: TemporaryDirectory) throws -> String {
        var frames: [String] = []
        var time = 1_700_000_000.0
        for soc in [60.0, 61, 62] {
            let image = CANBusBMSPackImage(voltage: 52, current: -10, temperature: 24.5, soc: soc, cellVoltageMin: 3.2, cellVoltageMax: 3.3)
            for frame in CANBusBMSEncoder.frames(for: image) {
                frames.append(CandumpRecord(timestampMicroseconds: Int64(time * 1_000_000), interface: "can0", frame: frame).line)
                time += 0.01
            }
            frames.append("this is not a candump line")
            frames.append("(\(time)) can0 356#7A")  // too short for 0x356: counted by the decoder, not the reader
            time += 1
        }
        let path = directory.file("replay.log").path
        try (frames.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func replayFeedsThePackAndCountsMalformedLines() async throws {
        let directory = try TemporaryDirectory("replay")
        defer { directory.remove() }
        let path = try Self.log(in: directory)
        let bus = CANBus(id: "replay") { () throws(CANBusError) -> any CANChannel in
            try CandumpReplayChannel(path: path, speed: 0, loop: false)
        }
        defer { bus.stop() }
        // Values stay fresh long enough for a loaded machine to read them after the replay.
        let source = CANPackSource(
            deviceID: "replayed", bus: bus, decoder: .canbusBMS(CANBusBMSAccumulator(staleAfter: .seconds(600))), commands: [:])
        bus.start()
        let perCycle = CANBusBMSEncoder.frames(for: CANBusBMSPackImage(voltage: 52, current: 0, temperature: 25, soc: 60)).count
        try await eventually("the whole log replayed", seconds: 10) { bus.counters.framesReceived == 3 * perCycle + 3 }
        #expect(bus.counters.malformed == 3)
        let snapshot = try await source.read(at: Timestamp(Date()), previous: nil)
        #expect(snapshot.soc?.value == 62)
        #expect(snapshot.current?.value == -10)
        #expect(snapshot.temperature?.value == 24.5)
    }

    /// At recorded speed the three cycles, one second apart, take about two seconds to arrive; at ten times
    /// the speed about 0.2 s. Measured, not asserted beyond ordering: the slower replay must take longer.
    @Test func recordedSpeedKeepsTheSpacing() async throws {
        let directory = try TemporaryDirectory("replay")
        defer { directory.remove() }
        let path = try Self.log(in: directory)
        let perCycle = CANBusBMSEncoder.frames(for: CANBusBMSPackImage(voltage: 52, current: 0, temperature: 25, soc: 60)).count
        var elapsed: [Double: Duration] = [:]
        for speed in [1.0, 10.0] {
            let started = ContinuousClock.now
            let bus = CANBus(id: "replay") { () throws(CANBusError) -> any CANChannel in
                try CandumpReplayChannel(path: path, speed: speed, loop: false)
            }
            bus.start()
            try await eventually("replayed at \(speed)×", seconds: 20) { bus.counters.framesReceived == 3 * perCycle + 3 }
            elapsed[speed] = ContinuousClock.now - started
            bus.stop()
        }
        let slow = try #require(elapsed[1.0])
        let fast = try #require(elapsed[10.0])
        #expect(slow >= .milliseconds(2000))
        #expect(fast < slow)
    }

    @Test func aMissingLogIsAnErrorAndTheBusKeepsTrying() async throws {
        let bus = CANBus(id: "replay", reopenDelay: .milliseconds(50)) { () throws(CANBusError) -> any CANChannel in
            try CandumpReplayChannel(path: "/nonexistent/replay.log", speed: 0, loop: false)
        }
        bus.start()
        defer { bus.stop() }
        try await eventually("two failed opens", seconds: 5) { bus.counters.linkFailures >= 2 }
        #expect(bus.counters.lastError?.contains("/nonexistent/replay.log") == true)
        #expect(!bus.counters.linkUp)
        // A protective command on a bus that is down fails at once instead of waiting for the link.
        await #expect(throws: CANBusError.self) { try await bus.send(CANBusBMSEncoder.keepAliveFrame()) }
    }
}
