import Foundation

/// Finds the data files shipped as SwiftPM resources of the Feedforward target.
///
/// SwiftPM's generated `Bundle.module` stops the process with `fatalError` when the resource
/// bundle is missing (for instance an executable copied away from its build folder), so the
/// library looks the bundle up itself and throws instead. Places tried, in order:
/// 1. `$FEEDFORWARD_RESOURCES` (a directory holding the resource folders);
/// 2. the resource bundle next to the running executable or `Bundle.main`
///    (`Feedforward_Feedforward.resources` on Linux, `Feedforward_Feedforward.bundle` on Apple
///    platforms), where `swift build`, `swift run` and `swift test` put it;
/// 3. the `Resources` folder of the source checkout this file was compiled from.
enum BundledResources {
    static let bundleName = "Feedforward_Feedforward"
    static let environmentVariable = "FEEDFORWARD_RESOURCES"

    static func candidateRoots() -> [URL] {
        var roots: [URL] = []
        if let named = ProcessInfo.processInfo.environment[environmentVariable], !named.isEmpty {
            roots.append(URL(fileURLWithPath: named))
        }
        var bases: [URL] = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL { bases.append(executable.deletingLastPathComponent()) }
        if let resources = Bundle.main.resourceURL { bases.append(resources) }
        bases.append(URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent())
        for base in bases {
            roots.append(base.appendingPathComponent(bundleName + ".resources"))
            roots.append(base.appendingPathComponent(bundleName + ".bundle"))
            roots.append(base.appendingPathComponent(bundleName + ".bundle/Contents/Resources"))
        }
        // Sources/Feedforward/Data/BundledResources.swift -> Sources/Feedforward/Resources
        roots.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Resources"))
        return roots
    }

    /// The directory of the bundled resource folder `name`.
    static func directory(named name: String) throws -> URL {
        var isDirectory: ObjCBool = false
        for root in candidateRoots() {
            let url = root.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                return url
            }
        }
        throw DataError(.io, path: name,
                        "the bundled resource folder was not found next to the executable (\(bundleName).resources) nor in the source tree; set \(environmentVariable) to the folder holding it")
    }
}
