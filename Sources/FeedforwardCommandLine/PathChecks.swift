import ArgumentParser
import Foundation

/// Checks of the files and folders a command will write or read, made before any work starts so
/// that a bad path fails at once with a plain message rather than after an epoch of training.
enum PathChecks {
    /// `path` can be written as a file: it is not a folder, and its folder exists and is writable.
    static func checkWritableFile(_ path: String, option: String) throws {
        guard !path.isEmpty else { throw ValidationError("\(option) needs a file name, got an empty path") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else { throw ValidationError("\(option) \(path) is a folder, not a file") }
            guard FileManager.default.isWritableFile(atPath: path) else {
                throw ValidationError("\(option) \(path) exists and is not writable")
            }
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else {
            throw ValidationError("\(option) \(path): the folder \(folder) does not exist")
        }
        guard isDirectory.boolValue else { throw ValidationError("\(option) \(path): \(folder) is not a folder") }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw ValidationError("\(option) \(path): the folder \(folder) is not writable")
        }
    }

    /// `path` is a folder, or can be created as one: the nearest existing ancestor is a writable folder.
    static func checkWritableFolder(_ path: String, option: String) throws {
        guard !path.isEmpty else { throw ValidationError("\(option) needs a folder name, got an empty path") }
        var url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { break }
            url = parent
        }
        guard isDirectory.boolValue else {
            throw ValidationError(url.path == URL(fileURLWithPath: path).path
                ? "\(option) \(path) is a file, not a folder"
                : "\(option) \(path): \(url.path) is a file, not a folder")
        }
        guard FileManager.default.isWritableFile(atPath: url.path) else {
            throw ValidationError("\(option) \(path): the folder \(url.path) is not writable")
        }
    }

    /// `path` names an existing file that is not a folder.
    static func checkReadableFile(_ path: String, option: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("\(option) \(path) does not exist")
        }
        guard !isDirectory.boolValue else { throw ValidationError("\(option) \(path) is a folder, not a file") }
    }
}
