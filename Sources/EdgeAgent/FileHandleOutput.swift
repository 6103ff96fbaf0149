import Foundation

/// Unbuffered writes to the standard streams (stdout is block-buffered when redirected).
enum FileHandleOutput {
    case standardOutput, standardError

    func write(_ string: String) {
        let handle: FileHandle = self == .standardOutput ? .standardOutput : .standardError
        handle.write(Data(string.utf8))
    }
}
