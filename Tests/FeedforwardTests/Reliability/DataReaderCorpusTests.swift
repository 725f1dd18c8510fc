import Foundation
import Testing
@testable import Feedforward

/// Malformed files read from disk through the public readers: each throws a `DataError` of the
/// expected kind whose description names the file, quickly. (Byte-level cases are in Tests/Data;
/// these add what they lack and check the file naming end to end.)
@Suite("Reliability: malformed data files") struct DataReaderCorpusTests {
    enum Reader: Sendable { case idx, csv, safetensors }

    static func safetensors(_ json: String, data: [UInt8] = []) -> [UInt8] {
        SafeTensors.littleEndianBytes([UInt64(json.utf8.count)]) + Array(json.utf8) + data
    }

    static let corpus: [(String, Reader, [UInt8], DataError.Kind)] = [
        // IDX
        ("empty IDX", .idx, [], .emptyFile),
        ("IDX of 3 bytes", .idx, [0, 0, 8], .truncated),
        ("IDX with PNG magic", .idx, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], .badMagic),
        ("IDX of rank 0", .idx, [0, 0, 8, 0], .invalidHeader),
        ("IDX header cut inside the dimensions", .idx, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0], .truncated),
        ("IDX dimensions overflowing Int", .idx, [0, 0, 0x0D, 3] + [UInt8](repeating: 0xFF, count: 12), .sizeOverflow),
        ("IDX claiming 2^40 elements, gzip", .idx, TestGzip.compress([0, 0, 8, 2, 0, 0x10, 0, 0, 0, 0x10, 0, 0]), .tooLarge),
        ("IDX gzip stream cut short", .idx, Array(TestGzip.compress([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]).dropLast(9)), .truncated),
        // CSV
        ("empty CSV", .csv, [], .emptyFile),
        ("CSV of blank lines", .csv, Array("\n\r\n\n".utf8), .emptyFile),
        ("CSV with a ragged row", .csv, Array("a,b,label\n1,2,x\n3,x\n".utf8), .raggedRow),
        ("CSV with a row too long", .csv, Array("a,b,label\n1,2,x,9\n".utf8), .raggedRow),
        ("CSV with a non-numeric feature", .csv, Array("a,b,label\n1,2,x\n3,four,y\n".utf8), .nonNumericValue),
        ("CSV with an infinite feature", .csv, Array("a,b,label\n1,inf,x\n".utf8), .nonNumericValue),
        // Regression: Float("2\0") parsed as 2 (C's strtof stops at NUL), so this file loaded.
        ("CSV with a NUL byte", .csv, Array("a,b,label\n1,2\u{0},x\n".utf8), .nonNumericValue),
        ("CSV in Latin-1", .csv, [0x61, 0x2C, 0x6C, 0x0A, 0x31, 0x2C, 0xE9, 0x0A], .invalidUTF8),
        ("CSV with a UTF-16 surrogate encoded", .csv, Array("a,l\n1,".utf8) + [0xED, 0xA0, 0x80, 0x0A], .invalidUTF8),
        ("CSV with an overlong encoding", .csv, Array("a,l\n1,".utf8) + [0xC0, 0xAF, 0x0A], .invalidUTF8),
        ("CSV ending inside a quoted field", .csv, Array("a,label\n1,\"unterminated\n".utf8), .malformedQuotedField),
        // safetensors
        ("empty safetensors", .safetensors, [], .emptyFile),
        ("safetensors header length 2^40", .safetensors, SafeTensors.littleEndianBytes([UInt64(1) << 40]) + Array("{}".utf8), .tooLarge),
        ("safetensors header length past the file", .safetensors, SafeTensors.littleEndianBytes([UInt64(64)]) + Array("{}".utf8), .truncated),
        ("safetensors header not an object", .safetensors, safetensors("\"x\""), .invalidHeader),
        ("safetensors header of invalid UTF-8", .safetensors, SafeTensors.littleEndianBytes([UInt64(4)]) + [0x7B, 0xFF, 0xFE, 0x7D], .invalidHeader),
        ("safetensors tensor claiming 2^40 elements", .safetensors,
         safetensors(#"{"w": {"dtype": "F32", "shape": [1048576, 1048576], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]), .mismatch),
        ("safetensors offsets at 2^62", .safetensors,
         safetensors(#"{"w": {"dtype": "U8", "shape": [4], "data_offsets": [4611686018427387904, 4611686018427387908]}}"#, data: [0, 0, 0, 0]), .truncated),
        ("safetensors offsets beyond Int64", .safetensors,
         safetensors(#"{"w": {"dtype": "U8", "shape": [4], "data_offsets": [0, 18446744073709551620]}}"#, data: [0, 0, 0, 0]), .invalidHeader),
        ("safetensors negative dimension", .safetensors,
         safetensors(#"{"w": {"dtype": "U8", "shape": [-4], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0]), .invalidHeader),
        ("safetensors JSON nested 100000 deep", .safetensors,
         safetensors("{\"w\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"), .invalidHeader),
    ]

    @Test(arguments: 0..<corpus.count)
    func rejectsWithATypedErrorNamingTheFile(index: Int) throws {
        let (name, reader, bytes, kind) = Self.corpus[index]
        let directory = try TemporaryDirectory()
        let url = try directory.file("case-\(index)", bytes)
        let clock = ContinuousClock()
        let start = clock.now
        let error = expectDataError(kind) {
            switch reader {
            case .idx: _ = try IDX.read(contentsOf: url)
            case .csv: _ = try CSV.readDataset(contentsOf: url, target: .last, kind: .classification())
            case .safetensors: _ = try SafeTensors.read(contentsOf: url)
            }
        }
        #expect(error?.path == url.path, "\(name)")
        #expect(error?.description.hasPrefix(url.path) == true, "\(name): \(String(describing: error))")
        #expect(clock.now - start < .seconds(2), "\(name) took \(clock.now - start)")
    }

    /// Labels outside the class range name the labels file and the byte of the bad label.
    @Test func labelsOutsideTheClassRangeNameTheFileAndByte() throws {
        let directory = try TemporaryDirectory()
        let images = try directory.file("images.idx", IDX.encode(IDXArray(shape: [3, 1, 2], values: .uint8([1, 2, 3, 4, 5, 6]))))
        for bad in [IDXValues.uint8([0, 10, 1]), .int32([0, 1, -1])] {
            let labels = try directory.file("labels.idx", IDX.encode(IDXArray(shape: [3], values: bad)))
            let error = expectDataError(.labelOutOfRange) { try LabeledImages.load(images: images, labels: labels, classCount: 10) }
            #expect(error?.path == labels.path)
            #expect(error?.location == .byteOffset(bad.dataType == .uint8 ? 9 : 16))
        }
    }
}
