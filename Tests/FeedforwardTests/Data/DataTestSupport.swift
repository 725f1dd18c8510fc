import Foundation
import Testing
@testable import Feedforward

/// Runs `body`, expects it to throw a `DataError` of `kind`, and returns the error.
@discardableResult
func expectDataError<T>(_ kind: DataError.Kind, sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () throws -> T) -> DataError? {
    do {
        _ = try body()
        Issue.record("expected a DataError of kind \(kind), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DataError {
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(!error.description.isEmpty, sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a DataError of kind \(kind), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A fresh temporary directory, removed when the value is deinitialised.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("feedforward-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let file = url.appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }
}

/// The committed test fixtures.
func fixtureURL(_ name: String) -> URL {
    Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(name)
}

/// A minimal gzip encoder for tests: deflate "stored" (uncompressed) blocks, CRC-32 and size trailer.
enum TestGzip {
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]
        var offset = 0
        repeat {
            let n = min(65535, bytes.count - offset)
            let last = offset + n == bytes.count
            out.append(last ? 1 : 0)
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += bytes[offset..<(offset + n)]
            offset += n
        } while offset < bytes.count
        let crc = crc32(bytes), size = UInt32(truncatingIfNeeded: bytes.count)
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: size >> UInt32(shift))) }
        return out
    }
}
