import Foundation
import Testing
@testable import Feedforward

@Suite("Data: safetensors") struct DataSafeTensorsTests {
    @Test func readsTheReferenceFixture() throws {
        let file = try SafeTensors.read(contentsOf: fixtureURL("fixture.safetensors"))
        #expect(Set(file.tensors.keys) == ["scalar", "vector", "matrix", "cube", "labels"])
        #expect(file.metadata == ["format": "np", "source": "feedforward-tests"])
        let scalar = try #require(file.tensors["scalar"])
        #expect(scalar.dtype == .float32 && scalar.shape == [] && scalar.floats() == [3.5])
        let vector = try #require(file.tensors["vector"])
        #expect(vector.dtype == .float64 && vector.shape == [3] && vector.doubles() == [1, -2, 0.25])
        let matrix = try #require(file.tensors["matrix"])
        #expect(matrix.dtype == .float32 && matrix.shape == [2, 3] && matrix.floats() == [0, 0.25, 0.5, 0.75, 1, 1.25])
        let cube = try #require(file.tensors["cube"])
        #expect(cube.dtype == .float64 && cube.shape == [2, 3, 4])
        #expect(cube.doubles() == (0..<24).map { (Double($0) - 12) * 0.5 })
        let labels = try #require(file.tensors["labels"])
        #expect(labels.dtype == .int64 && labels.integers() == [0, 7, -1] && labels.floats() == nil)
    }

    @Test func roundTripsAndAligns() throws {
        let file = SafeTensorsFile(tensors: [
            "b.weight": SafeTensorsEntry(shape: [2, 2], floats: [1, 2, 3, 4]),
            "a.bias": SafeTensorsEntry(shape: [2], doubles: [-1, 0.5]),
            "empty": SafeTensorsEntry(shape: [0, 3], floats: []),
            "half": SafeTensorsEntry(dtype: .float16, shape: [3], bytes: [0x00, 0x3C, 0x00, 0xC0, 0x01, 0x00]),
            "brain": SafeTensorsEntry(dtype: .bfloat16, shape: [1], bytes: [0xC0, 0x3F]),
        ], metadata: ["epoch": "3", "quote\"": "line\nbreak"])
        let bytes = SafeTensors.encode(file)
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect((8 + headerLength) % 8 == 0)
        let decoded = try SafeTensors.decode(bytes)
        #expect(decoded == file)
        #expect(decoded.tensors["half"]?.floats() == [1, -2, 0x1p-24])
        #expect(decoded.tensors["brain"]?.floats() == [1.5])
        let dir = try TemporaryDirectory()
        let url = dir.url.appendingPathComponent("model.safetensors")
        try SafeTensors.write(file, to: url)
        #expect(try SafeTensors.read(contentsOf: url) == file)
        // Atomic write leaves no temporary file behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["model.safetensors"])
    }

    /// A file with the given JSON header and data buffer.
    func file(_ json: String, data: [UInt8] = []) -> [UInt8] {
        let header = Array(json.utf8)
        return SafeTensors.littleEndianBytes([UInt64(header.count)]) + header + data
    }

    @Test func rejectsHugeHeaderLengths() {
        let claim = SafeTensors.littleEndianBytes([UInt64(1) << 40]) + Array("{}".utf8)
        expectDataError(.tooLarge) { try SafeTensors.decode(claim) }
        let beyondFile = SafeTensors.littleEndianBytes([UInt64(1000)]) + Array("{}".utf8)
        expectDataError(.truncated) { try SafeTensors.decode(beyondFile) }
        expectDataError(.tooLarge) { try SafeTensors.decode(SafeTensors.littleEndianBytes([UInt64.max])) }
        expectDataError(.truncated) { try SafeTensors.decode([1, 2, 3]) }
        expectDataError(.emptyFile) { try SafeTensors.decode([]) }
    }

    @Test func rejectsMalformedHeaders() {
        expectDataError(.invalidHeader) { try SafeTensors.decode(file("[1, 2]")) }
        expectDataError(.invalidHeader) { try SafeTensors.decode(file("{not json")) }
        expectDataError(.invalidHeader) { try SafeTensors.decode(file(#"{"x": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0])) }
        expectDataError(.invalidHeader) { try SafeTensors.decode(file(#"{"x": {"dtype": "F32", "shape": [1]}}"#, data: [0, 0, 0, 0])) }
        expectDataError(.invalidHeader) { try SafeTensors.decode(file(#"{"__metadata__": {"a": 1}}"#)) }
    }

    @Test func rejectsUnknownDTypes() {
        let error = expectDataError(.unsupportedDataType) {
            try SafeTensors.decode(file(#"{"x": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}"#, data: .init(repeating: 0, count: 16)))
        }
        #expect(error?.description.contains("F128") == true)
    }

    @Test func rejectsBadOffsets() {
        let four = [UInt8](repeating: 0, count: 4), eight = [UInt8](repeating: 0, count: 8)
        // Out of range.
        expectDataError(.truncated) { try SafeTensors.decode(file(#"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: four)) }
        // Overlapping.
        expectDataError(.invalidHeader) {
            try SafeTensors.decode(file(#"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "y": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, data: eight))
        }
        // A gap, and bytes no tensor covers.
        expectDataError(.invalidHeader) { try SafeTensors.decode(file(#"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, data: eight)) }
        expectDataError(.trailingBytes) { try SafeTensors.decode(file(#"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, data: eight)) }
        // Reversed or negative.
        expectDataError(.invalidHeader) { try SafeTensors.decode(file(#"{"x": {"dtype": "F32", "shape": [0], "data_offsets": [4, 0]}}"#, data: four)) }
        expectDataError(.invalidHeader) { try SafeTensors.decode(file(#"{"x": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}"#, data: four)) }
    }

    @Test func rejectsByteCountMismatchAndOverflow() {
        let eight = [UInt8](repeating: 0, count: 8)
        expectDataError(.mismatch) { try SafeTensors.decode(file(#"{"x": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}}"#, data: eight)) }
        expectDataError(.sizeOverflow) {
            try SafeTensors.decode(file(#"{"x": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 8]}}"#, data: eight))
        }
        expectDataError(.invalidHeader) {
            try SafeTensors.decode(file(#"{"x": {"dtype": "F64", "shape": [99999999999999999999999], "data_offsets": [0, 8]}}"#, data: eight))
        }
    }
}

/// Writes the file that `scripts/check_safetensors_interop.py` reads with the reference Python
/// package, when FEEDFORWARD_SAFETENSORS_EXPORT names a path (otherwise does nothing).
@Suite("Data: safetensors interop export") struct DataSafeTensorsExport {
    static func interopFile() -> SafeTensorsFile {
        SafeTensorsFile(tensors: [
            "layer1.weight": SafeTensorsEntry(shape: [2, 3], floats: [0.5, -1, 2, 3.25, 0, -0.125]),
            "layer1.bias": SafeTensorsEntry(shape: [3], doubles: [1, 2, 3]),
            "step": SafeTensorsEntry(shape: [], floats: [42]),
            "cube": SafeTensorsEntry(shape: [2, 2, 2], doubles: (0..<8).map { Double($0) / 8 }),
            "counts": SafeTensorsEntry(dtype: .int32, shape: [2], bytes: [1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]),
        ], metadata: ["writer": "feedforward"])
    }

    @Test func exportForPython() throws {
        guard let path = ProcessInfo.processInfo.environment["FEEDFORWARD_SAFETENSORS_EXPORT"] else { return }
        try SafeTensors.write(Self.interopFile(), to: URL(fileURLWithPath: path))
    }
}
