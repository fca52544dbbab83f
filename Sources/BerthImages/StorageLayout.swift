import BerthCore
#if canImport(Glibc)
import Glibc
#endif

/// Where everything lives under the data root, in dockerd's layout:
/// `image/<driver>/{imagedb,layerdb,repositories.json}`, and the driver's own directory
/// (`overlay2/<id>/{diff,link,lower,work,merged}` with `overlay2/l/`, or `vfs/dir/<id>`).
struct StorageLayout: Sendable {
    let dataRoot: String
    let driver: StorageDriver

    var imageRoot: String { "\(dataRoot)/image/\(driver.rawValue)" }
    /// `layerdb/sha256/<chain id hex>/{diff,size,cache-id,parent,layer.tar}`.
    var layerDB: String { imageRoot + "/layerdb/sha256" }
    /// `layerdb/mounts/<container id>/{mount-id,parent}`: containers' writable layers.
    var mounts: String { imageRoot + "/layerdb/mounts" }
    /// `imagedb/content/sha256/<id hex>`: image configs, byte for byte.
    var imageContent: String { imageRoot + "/imagedb/content/sha256" }
    /// `imagedb/metadata/sha256/<id hex>/{parent,lastUpdated}`.
    var imageMetadata: String { imageRoot + "/imagedb/metadata/sha256" }
    var repositories: String { imageRoot + "/repositories.json" }
    /// `overlay2` or `vfs/dir`: one directory per layer, named by its cache id.
    var driverRoot: String { driver == .overlay2 ? "\(dataRoot)/overlay2" : "\(dataRoot)/vfs/dir" }
    /// Where client archives are staged while they load (`tmp/load-<random>`), emptied on open.
    var stagingRoot: String { "\(dataRoot)/tmp" }
    /// overlay2's short names: `l/<link>` → `../<cache id>/diff`, to keep mount options short.
    var linkRoot: String { "\(dataRoot)/overlay2/l" }

    /// The directories the store needs, created if missing.
    func create() throws(FileError) {
        var directories = [layerDB, mounts, imageContent, imageMetadata, driverRoot]
        if driver == .overlay2 { directories.append(linkRoot) }
        for directory in directories { try makeDirectories(directory) }
    }

    /// Creates `path` and its missing parents (mode 0700 for new ones, as dockerd's are).
    func makeDirectories(_ path: String) throws(FileError) {
        try BerthCore.makeDirectories(path, mode: 0o700)
    }

    /// Whether an overlay with an upper layer under `directory` mounts (the kernel has overlayfs
    /// and the file system under `directory` can be its upper layer).
    static func overlayWorks(under directory: String) -> Bool {
        let probe = "\(directory)/overlay-probe-\(getpid())"
        guard (try? StorageLayout(dataRoot: directory, driver: .overlay2).makeDirectories(probe)) != nil else { return false }
        defer { _ = try? removeTree(probe) }
        for name in ["lower", "upper", "work", "merged"] { mkdir("\(probe)/\(name)", 0o700) }
        let options = "lowerdir=\(probe)/lower,upperdir=\(probe)/upper,workdir=\(probe)/work"
        guard mount("overlay", "\(probe)/merged", "overlay", 0, options) == 0 else { return false }
        umount2("\(probe)/merged", Int32(MNT_DETACH))
        return true
    }
}
