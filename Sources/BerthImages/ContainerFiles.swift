import BerthAPI
import BerthCore
import BerthTransport
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// A container's files as its processes see them, for `docker cp`: its root file system with
/// its volumes and bind mounts over it, each reached on the host through its own directory.
///
/// Paths are resolved as the container would resolve them (symbolic links followed inside the
/// container, crossing into a volume where one is mounted), component by component; every open
/// is then made inside the root it falls in (`openat2` with `RESOLVE_IN_ROOT`), so a link swapped
/// in meanwhile by a process of the container (CVE-2018-15664) still cannot lead out of it.
public struct ContainerFiles: Sendable {
    /// A directory or file mounted over the root file system.
    public struct Mount: Sendable {
        public let destination: String
        /// Where it is on the host.
        public let source: String
        public let readOnly: Bool

        public init(destination: String, source: String, readOnly: Bool) {
            self.destination = destination
            self.source = source
            self.readOnly = readOnly
        }
    }

    /// The container's name as the client gave it, for messages.
    let name: String
    /// The root file system's directory on the host (mounted).
    let root: String
    let readOnlyRoot: Bool
    let mounts: [Mount]

    public init(name: String, root: String, readOnlyRoot: Bool, mounts: [Mount]) {
        self.name = name
        self.root = root
        self.readOnlyRoot = readOnlyRoot
        self.mounts = mounts
    }

    /// What is at `path` (`HEAD /containers/{id}/archive`).
    public func stat(_ path: String) async throws -> ContainerPathStat {
        try await BlockingPool.shared.run {
            let view = try View(self)
            return try view.target(of: path).stat
        }
    }

    /// What is at `path` and what writes it as a tar (`GET /containers/{id}/archive`): entries
    /// named from the path's last element (`.` for a path ending in `/.`), a directory with
    /// everything under it, a symbolic link as itself.
    public func archive(_ path: String) async throws
        -> (stat: ContainerPathStat, write: @Sendable (_ into: @escaping ByteSink) async throws -> Void) {
        let stat = try await self.stat(path)
        let files = self
        return (stat, { sink in
            try await PipedStream.producing(into: sink) { write in
                let view = try View(files)
                let target = try view.target(of: path)
                let parent = try view.openParent(of: target.resolved)
                defer { close(parent.fd) }
                let writer = try ArchiveWriter(sink: write)
                var exporter = LayerExporter(root: parent.fd)
                exporter.whiteouts = false
                // The root's entries are `/`, `/bin/`, … (its name, `/`, is their prefix).
                let name = target.stat.name == "/" ? [] : Array(target.stat.name.utf8)
                // Volumes mounted below the path are written from their own directories, as the
                // container sees them.
                exporter.substitutes = view.mountedDirectories(below: target.resolved, as: name)
                defer { for fd in exporter.substitutes.values { close(fd) } }
                try exporter.export(parent.name, as: name, into: writer)
                try writer.finish()
            }
        })
    }

    /// Extracts the tar `body` into the directory at `path` (`PUT /containers/{id}/archive`),
    /// refusing any entry that would land outside it; `owner` overrides the archive's owners.
    public func extract(into path: String, options: ExtractOptions, owner: (uid: UInt32, gid: UInt32)?,
                        from body: @escaping ByteSource) async throws {
        let files = self
        try await PipedStream.consuming(body) { pipe in
            try await BlockingPool.streams.run {
                let view = try View(files)
                let directory = try view.extractionDirectory(path)
                defer { close(directory) }
                let reader = try ArchiveReader(.tar) { try pipe.readBlocking() }
                let applier = LayerApplier(root: directory, whiteouts: .none)
                applier.noOverwriteDirNonDir = options.noOverwriteDirNonDir
                applier.owner = owner
                try applier.apply(reader)
                while try pipe.readBlocking() != nil {}  // what follows the archive's end
            }
        }
    }

    /// Dockerd's words for a path that is not there.
    func notFound(_ path: String) -> APIError {
        APIError.notFound("Could not find the file \(path) in container \(name)")
    }
}

extension ContainerFiles {
    /// The container's files opened for one operation, on one thread of a blocking pool: the
    /// root file system and each mount as a descriptor (`O_PATH`), closed at the end.
    final class View {
        /// A directory tree of the container: the root file system or a mount.
        private struct Place {
            /// Where it is in the container.
            let components: [String]
            /// Where it is on the host, and open there (`O_PATH`).
            let source: String
            let fd: Int32
            let readOnly: Bool
        }

        private let files: ContainerFiles
        private let root: Place
        /// Longest destinations first.
        private var mounts: [Place] = []

        init(_ files: ContainerFiles) throws {
            self.files = files
            let fd = open(files.root, BERTH_O_PATH | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw FileError("open", files.root) }
            root = Place(components: [], source: files.root, fd: fd, readOnly: files.readOnlyRoot)
            for mount in files.mounts {
                let fd = open(mount.source, BERTH_O_PATH | O_CLOEXEC)
                guard fd >= 0 else { continue }  // gone from the host: the root's directory shows instead
                mounts.append(Place(components: Self.components(mount.destination), source: mount.source, fd: fd,
                                    readOnly: mount.readOnly))
            }
            mounts.sort { $0.components.count > $1.components.count }
        }

        deinit {
            close(root.fd)
            for place in mounts { close(place.fd) }
        }

        /// The components of an absolute path, `.` and empty ones left out (`..` kept).
        static func components(_ path: String) -> [String] {
            path.split(separator: "/").map(String.init).filter { $0 != "." }
        }

        /// Where a resolved path is: the root file system or the mount it falls in, and the path
        /// inside that (empty for the mount itself).
        private func place(of path: [String]) -> (place: Place, relative: [String]) {
            let place = mounts.first { path.starts(with: $0.components) } ?? root
            return (place, Array(path.dropFirst(place.components.count)))
        }

        /// The parent directory of a resolved path, open, and the name in it (`.` for the root or
        /// a mounted directory itself, whose descriptor is then the directory).
        func openParent(of path: [String]) throws -> (fd: Int32, name: [UInt8]) {
            let (place, relative) = place(of: path)
            guard let last = relative.last else {
                let reopened = berth_openat(place.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
                if reopened >= 0 { return (reopened, Array(".".utf8)) }
                // A file mounted by itself: its directory on the host is its parent.
                let (directory, name) = Self.split(place.source)
                let parent = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard parent >= 0 else { throw FileError("open", directory) }
                return (parent, Array(name.utf8))
            }
            let directory = relative.dropLast().joined(separator: "/")
            let parent = berth_openat_in_root(place.fd, directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY, 0)
            guard parent >= 0 else { throw FileError("open", "/" + path.dropLast().joined(separator: "/")) }
            return (parent, Array(last.utf8))
        }

        /// The directories mounted strictly below the resolved `path`, each open, by the entry
        /// path it has in an archive of `path` named `name`.
        func mountedDirectories(below path: [String], as name: [UInt8]) -> [[UInt8]: Int32] {
            var result: [[UInt8]: Int32] = [:]
            for mount in mounts where mount.components.count > path.count && mount.components.starts(with: path) {
                let fd = berth_openat(mount.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)
                guard fd >= 0 else { continue }  // a file mounted by itself: its placeholder is written
                let below = Array(mount.components.dropFirst(path.count).joined(separator: "/").utf8)
                result[name + [UInt8(ascii: "/")] + below] = fd
            }
            return result
        }

        /// `lstat` of a resolved path; nil when it does not exist.
        func lstat(_ path: [String]) throws -> Glibc.stat? {
            let parent = try? openParent(of: path)
            guard let parent else { return nil }
            defer { close(parent.fd) }
            var info = Glibc.stat()
            guard fstatat(parent.fd, String(decoding: parent.name, as: UTF8.self), &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT || errno == ENOTDIR { return nil }
                throw FileError("stat", "/" + path.joined(separator: "/"))
            }
            return info
        }

        private func readLink(_ path: [String]) throws -> String {
            let parent = try openParent(of: path)
            defer { close(parent.fd) }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
            let n = readlinkat(parent.fd, String(decoding: parent.name, as: UTF8.self), &buffer, buffer.count)
            guard n >= 0 else { throw FileError("readlink", "/" + path.joined(separator: "/")) }
            return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        /// `path` with every symbolic link followed inside the container (the last element's
        /// too when `followLast`); elements that do not exist are kept as written, as Go's
        /// `FollowSymlinkInScope` does.
        func resolve(_ path: String, followLast: Bool) throws -> [String] {
            var resolved: [String] = []
            var pending = Self.components(path)[...]
            var links = 0
            while let part = pending.popFirst() {
                if part == ".." {
                    _ = resolved.popLast()
                    continue
                }
                let candidate = resolved + [part]
                if pending.isEmpty && !followLast {
                    resolved = candidate
                    continue
                }
                guard let info = try lstat(candidate), UInt32(info.st_mode) & FileType.mask == FileType.symlink else {
                    resolved = candidate
                    continue
                }
                links += 1
                guard links <= 255 else { throw APIError.invalidParameter("too many levels of symbolic links in \(path)") }
                let target = try readLink(candidate)
                if target.hasPrefix("/") { resolved = [] }
                pending = (Self.components(target) + pending)[...]
            }
            return resolved
        }

        /// What `path` names for `HEAD` and `GET`, as dockerd finds it: its directory resolved,
        /// its last element not followed (unless the path ends in `/` or `/.`).
        func target(of path: String) throws -> (resolved: [String], stat: ContainerPathStat) {
            let absolute = Self.absolute(path)
            let (directory, base) = Self.split(absolute)
            var resolved = try resolve(directory, followLast: true)
            if !base.isEmpty && base != "." && base != ".." { resolved.append(base) }
            if base == ".." { _ = resolved.popLast() }
            guard let info = try lstat(resolved) else { throw files.notFound(path) }
            let mode = UInt32(info.st_mode)
            var linkTarget = ""
            if mode & FileType.mask == FileType.symlink {
                linkTarget = "/" + (try resolve(absolute, followLast: true)).joined(separator: "/")
            }
            let nanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            let stat = ContainerPathStat(name: Self.base(absolute), size: Int64(info.st_size),
                                         mode: ContainerPathStat.GoFileMode.from(unixMode: mode),
                                         mtime: Timestamp.rfc3339Nano(nanoseconds: nanoseconds), linkTarget: linkTarget)
            return (resolved, stat)
        }

        /// The directory a `PUT` extracts into, open: `path` with every link followed; a 404
        /// when it is not there, a 400 when it is not a directory or is read-only.
        func extractionDirectory(_ path: String) throws -> Int32 {
            let resolved = try resolve(Self.absolute(path), followLast: true)
            guard let info = try lstat(resolved) else { throw files.notFound(path) }
            guard UInt32(info.st_mode) & FileType.mask == FileType.directory else {
                throw APIError.invalidParameter("extraction point is not a directory")
            }
            let (place, relative) = place(of: resolved)
            if place.readOnly {
                throw APIError.invalidParameter(place.components.isEmpty ? "container rootfs is marked read-only"
                                                                         : "mounted volume is marked read-only")
            }
            let directory = berth_openat_in_root(place.fd, relative.isEmpty ? "." : relative.joined(separator: "/"),
                                                 O_RDONLY | O_DIRECTORY, 0)
            guard directory >= 0 else { throw FileError("open", "/" + resolved.joined(separator: "/")) }
            return directory
        }

        /// `path` made absolute, keeping a trailing `/` or `/.` (which mean the directory's
        /// contents to `docker cp`).
        static func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : "/" + path
        }

        /// Go's `filepath.Split`: everything up to the last `/`, and what follows.
        static func split(_ path: String) -> (directory: String, base: String) {
            guard let slash = path.lastIndex(of: "/") else { return ("", path) }
            return (String(path[...slash]), String(path[path.index(after: slash)...]))
        }

        /// Go's `filepath.Base`: the last element, trailing slashes ignored; `/` for the root.
        static func base(_ path: String) -> String {
            let trimmed = path.reversed().drop { $0 == "/" }.reversed()
            guard !trimmed.isEmpty else { return "/" }
            return String(String(trimmed).split(separator: "/").last ?? "/")
        }
    }
}
