import CFeedforwardKernels
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// File helpers shared by the readers and writers: whole-file reads with typed errors,
/// gzip detection and decompression through the run-time zlib, and atomic writes.
enum FileIO {
    /// Reads a whole file. Its size is what is on disk, so nothing a header claims is allocated here.
    static func readAll(_ url: URL) throws -> [UInt8] {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataError(.io, path: path, "no such file")
        }
        if isDirectory.boolValue { throw DataError(.io, path: path, "is a directory, expected a file") }
        // An empty regular file is read without Foundation: Data(contentsOf:) leaks a 4 KiB buffer
        // for it (swift-foundation 6.3; found by LeakSanitizer). Other empty-sized files (/proc, pipes) are read normally.
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_size == 0 {
            return []
        }
        do {
            let data = try Data(contentsOf: url, options: .mappedIfSafe)
            return [UInt8](data)
        } catch {
            throw DataError(.io, path: path, "cannot read the file: \(error.localizedDescription)")
        }
    }

    /// Whether bytes start with the gzip magic number 1f 8b.
    static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// Maps a zlib loader status to a typed error.
    static func inflateError(_ status: ff_inflate_status, path: String?, limit: Int) -> DataError {
        switch status {
        case FF_INFLATE_NO_ZLIB:
            return DataError(.zlibUnavailable, path: path, "the file is gzip-compressed but zlib (libz.so.1) could not be loaded")
        case FF_INFLATE_TOO_LARGE:
            return DataError(.tooLarge, path: path, "decompresses to more than \(limit) bytes")
        case FF_INFLATE_OUT_OF_MEMORY:
            return DataError(.tooLarge, path: path, "out of memory while decompressing")
        case FF_INFLATE_TRUNCATED:
            return DataError(.truncated, path: path, "the compressed stream ends before its end marker (truncated file)")
        default:
            return DataError(.corruptCompressedData, path: path, "the compressed data is corrupt")
        }
    }

    /// Decompresses at most `count` leading bytes of a gzip or zlib stream.
    static func gunzipPrefix(_ bytes: [UInt8], count: Int, path: String?) throws -> [UInt8] {
        var prefix = [UInt8](repeating: 0, count: count)
        var written = 0
        let status = bytes.withUnsafeBufferPointer { input in
            prefix.withUnsafeMutableBufferPointer { out in
                ff_gunzip_prefix(input.baseAddress, input.count, out.baseAddress, out.count, &written)
            }
        }
        guard status == FF_INFLATE_OK else {
            // A stream too short to hold even the prefix is reported by the full decompression.
            if status == FF_INFLATE_TRUNCATED {
                return Array(prefix[..<written])
            }
            throw inflateError(status, path: path, limit: count)
        }
        return Array(prefix[..<written])
    }

    /// Decompresses a whole gzip or zlib stream, producing at most `limit` bytes.
    static func gunzip(_ bytes: [UInt8], limit: Int, path: String?) throws -> [UInt8] {
        precondition(limit >= 0, "the decompression limit must not be negative")
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        let status = bytes.withUnsafeBufferPointer { input in
            ff_gunzip(input.baseAddress, input.count, limit, &output, &size)
        }
        guard status == FF_INFLATE_OK, let output else {
            throw inflateError(status, path: path, limit: limit)
        }
        defer { free(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    /// Writes bytes atomically: to a temporary file in the destination's directory, flushed with
    /// fsync, then renamed over the destination. Readers see the old file or the new one, never a part.
    static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        var template = Array((directory + "/." + url.lastPathComponent + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw DataError(.io, path: path, "cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))")
        }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        var failure: String? = nil
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "write failed: \(String(cString: strerror(errno)))"
                    return
                }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = "fsync failed: \(String(cString: strerror(errno)))" }
        // mkstemp creates files readable only by their owner; give the usual permissions.
        if failure == nil { fchmod(fd, 0o644) }
        if close(fd) != 0 && failure == nil { failure = "close failed: \(String(cString: strerror(errno)))" }
        if let failure { throw DataError(.io, path: path, failure) }
        guard rename(temporary, path) == 0 else {
            throw DataError(.io, path: path, "cannot rename the temporary file into place: \(String(cString: strerror(errno)))")
        }
        ok = true
        // Make the rename itself durable where the platform allows opening directories.
        let dirFD = open(directory, O_RDONLY)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            close(dirFD)
        }
    }
}
