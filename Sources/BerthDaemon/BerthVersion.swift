/// The daemon's version (the API range it serves is `DockerAPI`'s).
public enum BerthVersion {
    public static let version = "0.1.0"
    /// The source revision, when the build knows it.
    public static let gitCommit = "unknown"
    /// The toolchain that built the daemon (reported where Docker reports its Go version).
    public static let toolchain: String = {
        #if compiler(>=6.3)
        "swift6.3"
        #elseif compiler(>=6.2)
        "swift6.2"
        #else
        "swift6"
        #endif
    }()
    /// The `Server` response field.
    public static let serverHeader = "Berth/\(version) (linux)"
}
