import CFeedforwardKernels
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `read(2)`, under a name that the methods called `read` do not hide.
private func readDescriptor(_ descriptor: CInt, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// `open(2)` without blocking (a FIFO would wait for a writer) and closed on exec.
private func openForReading(_ path: String) -> CInt {
    open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
}

/// File helpers shared by the readers and writers: whole-file reads with typed errors,
/// gzip detection and decompression through the run-time zlib, and atomic writes.
enum FileIO {
    /// The most bytes read from a file that reports no size (as files under /proc do).
    static let unsizedFileLimit = 256 << 20

    /// An open regular file, read from the start in blocks. Create one with `openRegularFile(_:)`.
    struct ReadableFile: ~Copyable {
        /// The path named in errors.
        let path: String
        /// The size the file system reports; 0 for files that report none (/proc).
        let reportedSize: Int
        private let descriptor: CInt

        fileprivate init(path: String, reportedSize: Int, descriptor: CInt) {
            self.path = path
            self.reportedSize = reportedSize
            self.descriptor = descriptor
        }

        deinit { close(descriptor) }

        /// Reads up to `count` bytes into `buffer`; returns 0 at the end of the file.
        /// - Throws: `DataError` of kind `.io`.
        func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
            while true {
                let n = readDescriptor(descriptor, buffer, count)
                if n >= 0 { return n }
                if errno == EINTR { continue }
                if errno == EAGAIN { throw DataError(.io, path: path, "the file has no data to read now (it behaves like a pipe or device)") }
                throw DataError(.io, path: path, "cannot read the file: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Opens a regular file for reading. Directories, FIFOs, devices and sockets are refused before
    /// they are opened, so that a FIFO without a writer cannot block the reader.
    /// - Throws: `DataError` of kind `.io` that says what the path is instead.
    static func openRegularFile(_ url: URL) throws -> ReadableFile {
        let path = url.path
        var info = stat()
        guard stat(path, &info) == 0 else { throw DataError(.io, path: path, openFailure(errno)) }
        try requireRegularFile(info, path: path)
        let descriptor = openForReading(path)
        guard descriptor >= 0 else { throw DataError(.io, path: path, openFailure(errno)) }
        // The path may have been replaced between stat and open: check what was opened.
        guard fstat(descriptor, &info) == 0 else {
            close(descriptor)
            throw DataError(.io, path: path, "cannot read the file: \(String(cString: strerror(errno)))")
        }
        do { try requireRegularFile(info, path: path) } catch { close(descriptor); throw error }
        return ReadableFile(path: path, reportedSize: max(0, Int(info.st_size)), descriptor: descriptor)
    }

    private static func openFailure(_ code: CInt) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES, EPERM: return "permission denied: cannot open the file for reading"
        case ENOTDIR: return "a part of the path is not a directory"
        case ELOOP: return "too many levels of symbolic links"
        default: return "cannot open the file: \(String(cString: strerror(code)))"
        }
    }

    private static func requireRegularFile(_ info: stat, path: String) throws {
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: kind = "a directory"
        case S_IFIFO: kind = "a FIFO (named pipe)"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        throw DataError(.io, path: path, "is \(kind), expected a regular file")
    }

    /// Reads a whole regular file, at most `byteLimit` bytes (and at most `unsizedFileLimit` for a
    /// file that reports no size). Nothing a header claims is allocated here.
    /// - Throws: `DataError`: `.io` for what cannot be read, `.tooLarge` past the limit.
    static func readAll(_ url: URL, byteLimit: Int = .max) throws -> [UInt8] {
        let file = try openRegularFile(url)
        let limit = file.reportedSize > 0 ? byteLimit : min(byteLimit, unsizedFileLimit)
        guard file.reportedSize <= limit else {
            throw DataError(.tooLarge, path: file.path, "the file holds \(file.reportedSize) bytes, more than the limit of \(limit)")
        }
        // One byte more than the limit allows, to see a file that goes past it (or grew since stat).
        var bytes = [UInt8](repeating: 0, count: min(max(file.reportedSize, 1 << 16), limit) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                guard count <= limit else {
                    throw DataError(.tooLarge, path: file.path, "the file holds more than the limit of \(limit) bytes")
                }
                bytes.append(contentsOf: repeatElement(0, count: min(max(count, 1 << 16), limit - count + 1)))
            }
            let n = try bytes.withUnsafeMutableBytes { try file.read(into: $0.baseAddress! + count, count: $0.count - count) }
            if n == 0 { break }
            count += n
        }
        bytes.removeLast(bytes.count - count)
        return bytes
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

    /// Decompresses a whole gzip or zlib stream that may hold at most `limit` bytes, straight into
    /// the returned array (reserved at `limit` bytes, which take memory only as they are written).
    static func gunzip(_ bytes: [UInt8], limit: Int, path: String?) throws -> [UInt8] {
        precondition(limit >= 0, "the decompression limit must not be negative")
        var status = FF_INFLATE_OK
        let output = [UInt8](unsafeUninitializedCapacity: limit) { buffer, initialized in
            var written = 0
            status = bytes.withUnsafeBufferPointer { input in
                ff_gunzip(input.baseAddress, input.count, buffer.baseAddress, limit, &written)
            }
            initialized = written
        }
        guard status == FF_INFLATE_OK else { throw inflateError(status, path: path, limit: limit) }
        return output
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
