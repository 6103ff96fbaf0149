import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The device path of the terminal open on `descriptor` (`/dev/pts/N`), by `ttyname_r`: `ttyname` returns a
/// buffer shared by every thread, so two tests opening pseudo-terminals at once could get each other's names.
public func terminalName(_ descriptor: Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: 256)
    guard ttyname_r(descriptor, &buffer, buffer.count) == 0 else { return nil }
    return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
