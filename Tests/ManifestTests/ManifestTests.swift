import Foundation
import Testing

/// Package.swift and the source tree agree: each Swift target declares exactly the package
/// modules its files import, no more (a stale dependency) and no fewer (a module reached only
/// through another target's dependencies).
@Suite struct ManifestTests {
    /// The repository's root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Target {
        let name: String
        let kind: String
        let dependencies: Set<String>
        var directory: URL { ManifestTests.root.appendingPathComponent(kind == "testTarget" ? "Tests" : "Sources").appendingPathComponent(name) }
    }

    static func targets() throws -> [Target] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let declaration = /\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)"(?:,\s*dependencies:\s*\[([^\]]*)\])?/
        return manifest.matches(of: declaration).map { match in
            let list = match.output.3.map(String.init) ?? ""
            let names = list.matches(of: /"([^"]+)"/).map { String($0.output.1) }
            return Target(name: String(match.output.2), kind: String(match.output.1), dependencies: Set(names))
        }
    }

    /// The modules a directory's Swift files import.
    static func imports(in directory: URL) throws -> Set<String> {
        var found: Set<String> = []
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        for file in files {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                if let match = line.wholeMatch(of: /\s*(?:@testable\s+)?import\s+(\w+).*/) { found.insert(String(match.output.1)) }
            }
        }
        return found
    }

    @Test func everySwiftTargetDeclaresExactlyWhatItImports() throws {
        let targets = try Self.targets()
        #expect(targets.count > 10, "Package.swift's targets were read")
        let modules = Set(targets.map(\.name))
        for target in targets where target.kind != "systemLibrary" {
            let imported = try Self.imports(in: target.directory).intersection(modules)
            // C targets have no Swift files; their dependencies are #includes.
            guard !imported.isEmpty || target.name.hasPrefix("C") == false else { continue }
            #expect(imported.subtracting(target.dependencies).isEmpty,
                    "\(target.name) imports \(imported.subtracting(target.dependencies).sorted()) without declaring them")
            #expect(target.dependencies.subtracting(imported).isEmpty,
                    "\(target.name) declares \(target.dependencies.subtracting(imported).sorted()) but does not import them")
        }
    }
}
