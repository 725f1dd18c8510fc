import Foundation
import Testing
@testable import Feedforward

@Suite("Data: IDX") struct DataIDXTests {
    static let samples: [IDXArray] = [
        IDXArray(shape: [2, 3], values: .uint8([0, 1, 2, 253, 254, 255])),
        IDXArray(shape: [3], values: .int8([-128, 0, 127])),
        IDXArray(shape: [2, 1, 2], values: .int16([-32768, -1, 1, 32767])),
        IDXArray(shape: [2], values: .int32([Int32.min, 123_456_789])),
        IDXArray(shape: [1, 3], values: .float32([-1.5, 0, .greatestFiniteMagnitude])),
        IDXArray(shape: [2], values: .float64([.pi, -0.0])),
        IDXArray(shape: [0, 28, 28], values: .uint8([])),
    ]

    @Test func roundTripsEveryType() throws {
        let dir = try TemporaryDirectory()
        for (i, array) in DataIDXTests.samples.enumerated() {
            #expect(try IDX.decode(IDX.encode(array)) == array)
            let url = dir.url.appendingPathComponent("a\(i).idx")
            try IDX.write(array, to: url)
            #expect(try IDX.read(contentsOf: url) == array)
        }
    }

    @Test func encodesTheDocumentedLayout() {
        let bytes = IDX.encode(IDXArray(shape: [2], values: .int16([1, -2])))
        #expect(bytes == [0, 0, 0x0B, 1, 0, 0, 0, 2, 0, 1, 0xFF, 0xFE])
    }

    @Test func readsGzipRoundTrip() throws {
        for array in DataIDXTests.samples {
            #expect(try IDX.decode(TestGzip.compress(IDX.encode(array))) == array)
        }
        // Detected by content, not name: a gzip file named .idx and a plain one named .gz.
        let dir = try TemporaryDirectory()
        let gz = try dir.file("plain-name.idx", TestGzip.compress(IDX.encode(DataIDXTests.samples[0])))
        let plain = try dir.file("looks-compressed.gz", IDX.encode(DataIDXTests.samples[0]))
        #expect(try IDX.read(contentsOf: gz) == DataIDXTests.samples[0])
        #expect(try IDX.read(contentsOf: plain) == DataIDXTests.samples[0])
    }

    @Test func readsPythonGzipFixtures() throws {
        let images = try IDX.read(contentsOf: fixtureURL("tiny-images-idx3-ubyte.gz"))
        #expect(images.shape == [3, 2, 2])
        #expect(images.values == .uint8(Array(stride(from: 0, to: 120, by: 10)).map(UInt8.init)))
        let labels = try IDX.read(contentsOf: fixtureURL("tiny-labels-idx1-ubyte.gz"))
        #expect(labels.integers() == [2, 0, 1])
    }

    @Test func readsConcatenatedGzipMembers() throws {
        let bytes = IDX.encode(DataIDXTests.samples[3])
        let split = TestGzip.compress(Array(bytes[..<5])) + TestGzip.compress(Array(bytes[5...]))
        #expect(try IDX.decode(split) == DataIDXTests.samples[3])
    }

    @Test func rejectsEmptyFiles() throws {
        expectDataError(.emptyFile) { try IDX.decode([]) }
        let dir = try TemporaryDirectory()
        let url = try dir.file("empty", [])
        let error = expectDataError(.emptyFile) { try IDX.read(contentsOf: url) }
        #expect(error?.path == url.path)
        #expect(error?.description.contains(url.path) == true)
        expectDataError(.emptyFile) { try IDX.decode(TestGzip.compress([])) }
    }

    @Test func rejectsWrongMagicTypeAndRank() {
        let error = expectDataError(.badMagic) { try IDX.decode([0x50, 0x4B, 3, 4, 0, 0, 0, 0]) }
        #expect(error?.location == .byteOffset(0))
        expectDataError(.unsupportedDataType) { try IDX.decode([0, 0, 0x07, 1, 0, 0, 0, 0]) }
        expectDataError(.invalidHeader) { try IDX.decode([0, 0, 8, 0]) }
        expectDataError(.invalidHeader) { try IDX.decode([0, 0, 8, 200] + [UInt8](repeating: 0, count: 800)) }
    }

    @Test func rejectsTruncatedFiles() {
        let bytes = IDX.encode(DataIDXTests.samples[0])
        expectDataError(.truncated) { try IDX.decode(Array(bytes[..<3])) }           // inside the magic
        expectDataError(.truncated) { try IDX.decode(Array(bytes[..<9])) }           // inside the dimensions
        let error = expectDataError(.truncated) { try IDX.decode(Array(bytes.dropLast())) }
        #expect(error?.location == .byteOffset(bytes.count - 1))
        // A gzip stream cut short, and a complete stream whose contents are short.
        let gz = TestGzip.compress(bytes)
        expectDataError(.truncated) { try IDX.decode(Array(gz.dropLast(12))) }
        expectDataError(.truncated) { try IDX.decode(TestGzip.compress(Array(bytes.dropLast()))) }
    }

    @Test func rejectsTrailingBytes() {
        let bytes = IDX.encode(DataIDXTests.samples[0])
        let error = expectDataError(.trailingBytes) { try IDX.decode(bytes + [0]) }
        #expect(error?.location == .byteOffset(bytes.count))
        expectDataError(.trailingBytes) { try IDX.decode(TestGzip.compress(bytes + [7, 7])) }
    }

    @Test func rejectsOverflowingDimensionProducts() {
        // 4 dimensions of 2^32-1 elements of 8 bytes: the product overflows Int.
        let header: [UInt8] = [0, 0, 0x0E, 4] + [UInt8](repeating: 0xFF, count: 16)
        let error = expectDataError(.sizeOverflow) { try IDX.decode(header) }
        #expect(error?.description.contains("4294967295") == true)
        expectDataError(.sizeOverflow) { try IDX.decode(TestGzip.compress(header)) }
    }

    @Test func rejectsHugeClaimsWithoutAllocating() {
        // 2^40 unsigned bytes declared (shape [2^20, 2^20]) in a 12-byte file.
        let header: [UInt8] = [0, 0, 8, 2, 0, 0x10, 0, 0, 0, 0x10, 0, 0]
        expectDataError(.truncated) { try IDX.decode(header) }
        expectDataError(.tooLarge) { try IDX.decode(TestGzip.compress(header)) }
        // Under the byte limit but impossible for the compressed size: rejected before decompressing.
        expectDataError(.truncated) { try IDX.decode(TestGzip.compress(header), byteLimit: 1 << 41) }
        // A caller-given limit applies to compressed files.
        expectDataError(.tooLarge) { try IDX.decode(TestGzip.compress(IDX.encode(DataIDXTests.samples[0])), byteLimit: 8) }
    }

    @Test func rejectsCorruptGzip() {
        var gz = TestGzip.compress(IDX.encode(DataIDXTests.samples[3]))
        gz[gz.count - 6] ^= 0xFF          // break the CRC-32
        expectDataError(.corruptCompressedData) { try IDX.decode(gz) }
        expectDataError(.corruptCompressedData) { try IDX.decode([0x1f, 0x8b, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) }
    }

    @Test func reportsMissingFiles() {
        let error = expectDataError(.io) { try IDX.read(contentsOf: URL(fileURLWithPath: "/nonexistent/file.idx")) }
        #expect(error?.description.contains("/nonexistent/file.idx") == true)
    }
}

@Suite("Data: atomic writes") struct DataAtomicWriteTests {
    @Test func replacesFilesAndReportsFailures() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("x.idx", [1, 2, 3])
        let array = IDXArray(shape: [1], values: .uint8([9]))
        try IDX.write(array, to: url)
        #expect(try IDX.read(contentsOf: url) == array)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["x.idx"])
        let missing = dir.url.appendingPathComponent("no/such/dir/y.idx")
        let error = expectDataError(.io) { try IDX.write(array, to: missing) }
        #expect(error?.path == missing.path)
        expectDataError(.io) { try IDX.read(contentsOf: dir.url) }       // a directory, not a file
    }
}
