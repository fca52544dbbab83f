/// The daemon's version and the API range it serves.
public enum BerthVersion {
    public static let version = "0.1.0"
    public static let apiVersion = "1.41"
    public static let minimumAPIVersion = "1.24"
    /// The `Server` response field.
    public static let serverHeader = "Berth/\(version) (linux)"
}
