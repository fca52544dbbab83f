import BerthCore
#if canImport(Glibc)
import Glibc
#endif

/// How layers are kept on disk: overlay2 (each layer's own files, stacked by overlayfs) or vfs
/// (each layer a full copy of the tree, for file systems overlayfs cannot use).
public enum StorageDriver: String, Sendable, CaseIterable {
    case overlay2, vfs

    /// overlay2 when the kernel has overlayfs and `directory` can hold its upper layers, vfs
    /// otherwise (as dockerd picks). Checks by mounting a small overlay under `directory`.
    public static func preferred(under directory: String) -> StorageDriver {
        guard let filesystems = SmallFile.text("/proc/filesystems"),
              filesystems.split(separator: "\n").contains(where: { $0.hasSuffix("\toverlay") }) else { return .vfs }
        return StorageLayout.overlayWorks(under: directory) ? .overlay2 : .vfs
    }
}
