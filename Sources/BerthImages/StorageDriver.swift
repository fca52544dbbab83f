import BerthCore
import CBerthSys
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

    /// The file system under `path`, as dockerd names it in `docker info` (`extfs`, `xfs`, …).
    /// Blocking (a `statfs`).
    public static func backingFilesystem(of path: String) -> String {
        let type = berth_filesystem_type(path)
        guard type >= 0 else { return "unknown" }
        switch UInt(type) {
        case 0xEF53: return "extfs"
        case 0x5846_5342: return "xfs"
        case 0x9123_683E: return "btrfs"
        case 0x0102_1994: return "tmpfs"
        case 0x2FC1_2FC1: return "zfs"
        case 0x794C_7630: return "overlayfs"
        default: return "<unknown>"
        }
    }
}
