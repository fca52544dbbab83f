@testable import BerthRuntime
import BerthTesting
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What init runs from cannot be written by anyone, whichever way it was made (CVE-2019-5736: a
/// container reaching its init's executable through /proc/PID/exe must not reach the host's).
@Suite(.enabled(if: getuid() == 0, "needs root (a mount)"))
struct InitBinaryTests {
    private func expectSealed(_ binary: InitBinary) throws {
        let path = "/proc/self/fd/\(binary.fd)"
        // A read-only mount refuses the open; a sealed memfd opens but refuses the write.
        let writer = open(path, O_WRONLY | O_CLOEXEC)
        var code = errno
        if writer >= 0 {
            let written = write(writer, "x", 1)
            code = errno
            close(writer)
            #expect(written < 0, "written to")
        }
        #expect([EROFS, EPERM].contains(code), "\(String(cString: strerror(code)))")
        let original = try Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original, "the same bytes as the executable")
    }

    @Test func theViewThroughAReadOnlyOverlayCannotBeWrittenAndIsNotACopy() throws {
        let empty = TestDirectory.path("empty")
        let binary = try InitBinary.sealedView(emptyDirectory: empty)
        try expectSealed(binary)
        var info = stat()
        #expect(fstat(binary.fd, &info) == 0)
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(binary.fd)")
        #expect(!target.hasPrefix("/memfd:"), "a view of the file, not a memfd copy: \(target)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty, "the lower layer stays empty")
    }

    @Test func theMemfdCopyIsSealed() throws {
        try expectSealed(try InitBinary())
    }
}
