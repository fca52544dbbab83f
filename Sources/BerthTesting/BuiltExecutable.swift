import Foundation

/// The package's executables (`berthd`, `berth-runtime`, `berth-bench`), which `swift test`
/// builds next to the test binary.
public enum BuiltExecutable {
    /// The path of the executable `name` next to the running test binary, or nil if it is not there.
    public static func path(_ name: String) -> String? {
        guard let tests = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let path = URL(fileURLWithPath: tests).deletingLastPathComponent().appendingPathComponent(name).path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
