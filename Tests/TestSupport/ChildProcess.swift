import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A program started by a test with `posix_spawn` and stopped by PID.
///
/// Foundation's `Process` is not used: on Linux its exit monitoring did not notice children exiting inside
/// the test runner, so `waitUntilExit` never returned. Here the exit is collected with a plain `waitpid`.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let executable: String
    private let exitStatus = ExitStatusBox()

    /// Starts `executable` with `arguments`; standard output and error go to `outputFile` (or /dev/null).
    public init(_ executable: String, _ arguments: [String], outputFile: String? = nil) throws {
        self.executable = executable
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let output = outputFile ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // Nothing else of the test runner's: a child that kept another test's socket or pseudo-terminal would
        // keep it open after that test closed it (a server's close would never reach its client).
        _ = Self.closeFrom3?(&actions, 3)

        // The child must not inherit the spawning thread's blocked or ignored signals (threads of the
        // test runner block some), or it would never see the SIGTERM that stops it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard result == 0 else { throw TestSupportError.system("posix_spawn \(executable)", result) }
        pid = child
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; declared only under `_GNU_SOURCE`,
    /// which Swift's Glibc module does not define, so it is looked up).
    private static let closeFrom3: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// The exit code once the process has exited normally; `nil` while it runs or after a signal.
    public var exitCode: Int32? {
        guard let status = exitStatus.value, status & 0x7F == 0 else { return nil }
        return (status >> 8) & 0xFF
    }

    /// Finds a program on `PATH`.
    public static func locate(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw TestSupportError.programMissing(name)
    }

    /// Whether the process has not exited yet (reaps it if it has).
    public var isRunning: Bool {
        if exitStatus.value != nil { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            exitStatus.set(status)
            return false
        }
        return result == 0
    }

    /// Sends `signal` and waits for the process to exit.
    public func terminate(signal: Int32 = SIGTERM) async {
        guard isRunning else { return }
        kill(pid, signal)
        await waitForExit()
    }

    /// Waits, off the cooperative pool, until the process exits, or until the waiting task is cancelled (so a
    /// `withTimeout` around it ends; the process is then still running, for the caller to stop).
    public func waitForExit() async {
        guard exitStatus.value == nil else { return }
        let pid = self.pid
        let box = exitStatus
        let waiter = OnceResumer()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                waiter.hold(continuation)
                Thread.detachNewThread {
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                    box.set(status)
                    waiter.resume()
                }
            }
        } onCancel: {
            waiter.resume()
        }
    }

    deinit {
        if exitStatus.value == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}

/// A continuation resumed once, by whichever comes first: the exit or a cancellation (which may come before
/// the continuation is held: it is then resumed as soon as it is).
private final class OnceResumer: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, resumed: Bool)>((nil, false))

    func hold(_ continuation: CheckedContinuation<Void, Never>) {
        let resumeNow = state.withLock { state -> Bool in
            if state.resumed { return true }
            state.continuation = continuation
            return false
        }
        if resumeNow { continuation.resume() }
    }

    func resume() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.resumed else { return nil }
            state.resumed = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }
}

/// The exit status, set once.
private final class ExitStatusBox: Sendable {
    private let storage = Mutex<Int32?>(nil)
    var value: Int32? { storage.withLock { $0 } }
    func set(_ status: Int32) { storage.withLock { $0 = $0 ?? status } }
}

