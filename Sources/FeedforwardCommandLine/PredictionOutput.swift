import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where `feedforward predict` writes its CSV text, a chunk at a time: standard output, or a file.
///
/// A file is written to a temporary file in its folder, which ``finish()`` renames onto the path:
/// a run that fails part-way leaves the path as it was (no partial file), and the temporary file
/// is removed when the output is released unfinished.
final class PredictionOutput {
    /// The file to write, or `nil` for standard output.
    let path: String?
    /// The temporary file's descriptor while it is open.
    private var descriptor: CInt = -1
    /// The temporary file's path until it is renamed onto `path`.
    private var temporaryPath: String?

    /// Opens the output: standard output when `path` is nil, else a new temporary file beside `path`.
    init(path: String?) throws {
        self.path = path
        guard let path else { return }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var template = Array((folder + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
        let opened = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard opened >= 0 else {
            throw ValidationError("--output \(path): cannot create a temporary file in \(folder): \(String(cString: strerror(errno)))")
        }
        descriptor = opened
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if let temporaryPath { unlink(temporaryPath) }
    }

    /// Writes `text` after what was written before.
    func append(_ text: String) throws {
        guard let path else {
            print(text, terminator: "")
            return
        }
        var text = text
        try text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ValidationError("--output \(path): write failed: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }

    /// Puts the file in place (flushed, with the usual permissions); nothing for standard output.
    func finish() throws {
        guard let path, let temporaryPath else { return }
        // mkstemp creates files readable only by their owner.
        fchmod(descriptor, 0o644)
        let flushed = fsync(descriptor) == 0
        let closed = close(descriptor) == 0
        descriptor = -1
        guard flushed && closed else {
            throw ValidationError("--output \(path): the file could not be flushed to disk: \(String(cString: strerror(errno)))")
        }
        guard rename(temporaryPath, path) == 0 else {
            throw ValidationError("--output \(path): cannot rename the temporary file into place: \(String(cString: strerror(errno)))")
        }
        self.temporaryPath = nil
    }
}
