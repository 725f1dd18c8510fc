import Foundation

/// The element types of the safetensors format, named as in its JSON header.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    /// Booleans, one byte each.
    case bool = "BOOL"
    /// Unsigned 8-bit integers.
    case uint8 = "U8"
    /// Signed 8-bit integers.
    case int8 = "I8"
    /// Unsigned 16-bit integers.
    case uint16 = "U16"
    /// Signed 16-bit integers.
    case int16 = "I16"
    /// IEEE 754 half precision.
    case float16 = "F16"
    /// bfloat16 (the top half of a Float).
    case bfloat16 = "BF16"
    /// Unsigned 32-bit integers.
    case uint32 = "U32"
    /// Signed 32-bit integers.
    case int32 = "I32"
    /// IEEE 754 single precision.
    case float32 = "F32"
    /// Unsigned 64-bit integers.
    case uint64 = "U64"
    /// Signed 64-bit integers.
    case int64 = "I64"
    /// IEEE 754 double precision.
    case float64 = "F64"

    /// The size of one element in bytes.
    public var byteCount: Int {
        switch self {
        case .bool, .uint8, .int8: return 1
        case .uint16, .int16, .float16, .bfloat16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        }
    }
}

/// One tensor of a safetensors file, in its raw form: element type, shape, and the
/// little-endian bytes of its elements in row-major order.
public struct SafeTensorsEntry: Equatable, Sendable {
    /// The element type.
    public var dtype: SafeTensorsDType
    /// The dimensions; `[]` for a scalar.
    public var shape: [Int]
    /// The elements' bytes, little-endian, row-major: `elementCount * dtype.byteCount` of them.
    public var bytes: [UInt8]

    /// Creates an entry. `bytes.count` must equal the product of `shape` times `dtype.byteCount`.
    public init(dtype: SafeTensorsDType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "dimensions must not be negative")
        precondition(shape.reduce(1, *) * dtype.byteCount == bytes.count,
                     "\(bytes.count) bytes do not hold a \(dtype.rawValue) tensor of shape \(shape)")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Creates an F32 entry from row-major values.
    public init(shape: [Int], floats: [Float]) {
        self.init(dtype: .float32, shape: shape, bytes: SafeTensors.littleEndianBytes(floats.map(\.bitPattern)))
    }

    /// Creates an F64 entry from row-major values.
    public init(shape: [Int], doubles: [Double]) {
        self.init(dtype: .float64, shape: shape, bytes: SafeTensors.littleEndianBytes(doubles.map(\.bitPattern)))
    }

    /// The number of elements (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The elements as `Float`, for F32, F64 (rounded), F16 and BF16 entries; nil for other types.
    public func floats() -> [Float]? {
        switch dtype {
        case .float32: return words(UInt32.self).map { Float(bitPattern: $0) }
        case .float64: return words(UInt64.self).map { Float(Double(bitPattern: $0)) }
        case .float16: return words(UInt16.self).map(SafeTensors.floatFromHalf)
        case .bfloat16: return words(UInt16.self).map { Float(bitPattern: UInt32($0) << 16) }
        default: return nil
        }
    }

    /// The elements as `Double`, for F64, F32, F16 and BF16 entries; nil for other types.
    public func doubles() -> [Double]? {
        if dtype == .float64 { return words(UInt64.self).map { Double(bitPattern: $0) } }
        return floats()?.map { Double($0) }
    }

    /// The elements as `Int64`, for integer and BOOL entries; nil for floating-point types.
    public func integers() -> [Int64]? {
        switch dtype {
        case .bool, .uint8: return bytes.map { Int64($0) }
        case .int8: return bytes.map { Int64(Int8(bitPattern: $0)) }
        case .uint16: return words(UInt16.self).map { Int64($0) }
        case .int16: return words(UInt16.self).map { Int64(Int16(bitPattern: $0)) }
        case .uint32: return words(UInt32.self).map { Int64($0) }
        case .int32: return words(UInt32.self).map { Int64(Int32(bitPattern: $0)) }
        case .int64: return words(UInt64.self).map { Int64(bitPattern: $0) }
        case .uint64: return words(UInt64.self).map { Int64(truncatingIfNeeded: $0) }
        case .float16, .bfloat16, .float32, .float64: return nil
        }
    }

    private func words<T: FixedWidthInteger>(_: T.Type) -> [T] {
        let size = MemoryLayout<T>.size
        return bytes.withUnsafeBytes { raw in
            (0..<(raw.count / size)).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: T.self)) }
        }
    }
}

/// The contents of a safetensors file: named tensors and optional string metadata.
public struct SafeTensorsFile: Equatable, Sendable {
    /// The tensors by name.
    public var tensors: [String: SafeTensorsEntry]
    /// The `__metadata__` map of the header, if any.
    public var metadata: [String: String]?

    /// Creates a file's contents.
    public init(tensors: [String: SafeTensorsEntry] = [:], metadata: [String: String]? = nil) {
        self.tensors = tensors
        self.metadata = metadata
    }
}

/// Reading and writing the safetensors format (https://github.com/huggingface/safetensors).
///
/// A file is an 8-byte little-endian header length N, N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ..., "__metadata__": {...}}`,
/// then the data buffer; offsets are relative to the buffer's start.
public enum SafeTensors {
    /// The largest JSON header accepted, as in the reference implementation: 100 MB.
    public static let maximumHeaderSize = 100_000_000

    /// Reads a safetensors file.
    ///
    /// Checks, before allocating anything the file declares: the header length against the file
    /// size and `maximumHeaderSize`; then the JSON, the dtypes, that shapes do not overflow, and that
    /// the tensors' byte ranges match their shapes, lie inside the buffer, do not overlap and
    /// cover it exactly.
    /// - Throws: `DataError`.
    public static func read(contentsOf url: URL) throws -> SafeTensorsFile {
        try decode(FileIO.readAll(url), path: url.path)
    }

    /// Decodes the bytes of a safetensors file. `path` names the source in errors.
    /// - Throws: `DataError`.
    public static func decode(_ bytes: [UInt8], path: String? = nil) throws -> SafeTensorsFile {
        guard !bytes.isEmpty else { throw DataError(.emptyFile, path: path, "the file is empty, expected a safetensors header") }
        guard bytes.count >= 8 else {
            throw DataError(.truncated, path: path, at: .byteOffset(bytes.count),
                            "the file ends inside the 8-byte header length (it holds \(bytes.count) bytes)")
        }
        let declared = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared <= UInt64(maximumHeaderSize) else {
            throw DataError(.tooLarge, path: path, at: .byteOffset(0),
                            "the header length \(declared) exceeds the limit of \(maximumHeaderSize) bytes")
        }
        let headerSize = Int(declared)
        guard headerSize <= bytes.count - 8 else {
            throw DataError(.truncated, path: path, at: .byteOffset(0),
                            "the header length \(headerSize) exceeds the \(bytes.count - 8) bytes after the length field")
        }
        guard headerSize >= 2, bytes[8] == UInt8(ascii: "{") else {
            throw DataError(.invalidHeader, path: path, at: .byteOffset(8), "the header must be a JSON object starting with '{'")
        }
        let json = Data(bytes[8..<(8 + headerSize)])
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: json, options: [])
        } catch {
            throw DataError(.invalidHeader, path: path, at: .byteOffset(8), "the header is not valid JSON: \(error.localizedDescription)")
        }
        guard let header = object as? [String: Any] else {
            throw DataError(.invalidHeader, path: path, at: .byteOffset(8), "the header must be a JSON object")
        }
        let bufferStart = 8 + headerSize
        let bufferSize = bytes.count - bufferStart

        var metadata: [String: String]? = nil
        struct Span { var name: String; var dtype: SafeTensorsDType; var shape: [Int]; var begin: Int; var end: Int }
        var spans: [Span] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else {
                    throw DataError(.invalidHeader, path: path, at: .byteOffset(8), "__metadata__ must be an object of strings")
                }
                var strings: [String: String] = [:]
                for (key, item) in map {
                    guard let string = item as? String else {
                        throw DataError(.invalidHeader, path: path, at: .byteOffset(8), "__metadata__[\"\(key)\"] must be a string")
                    }
                    strings[key] = string
                }
                metadata = strings
                continue
            }
            func bad(_ message: String, _ kind: DataError.Kind = .invalidHeader) -> DataError {
                DataError(kind, path: path, at: .byteOffset(8), "tensor \"\(name)\": \(message)")
            }
            guard let info = value as? [String: Any] else { throw bad("expected an object with dtype, shape and data_offsets") }
            guard let dtypeName = info["dtype"] as? String else { throw bad("missing or non-string \"dtype\"") }
            guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
                throw bad("unknown dtype \"\(dtypeName)\", expected one of \(SafeTensorsDType.allCases.map(\.rawValue))", .unsupportedDataType)
            }
            guard let shapeValues = info["shape"] as? [Any], let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
                throw bad("\"shape\" must be an array of non-negative integers")
            }
            guard let offsetValues = info["data_offsets"] as? [Any], let offsets = integers(offsetValues), offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw bad("\"data_offsets\" must be [begin, end] with 0 <= begin <= end")
            }
            var byteCount = dtype.byteCount
            for dimension in shape {
                let (product, overflow) = byteCount.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw bad("the shape \(shape) describes more bytes than can be addressed", .sizeOverflow) }
                byteCount = product
            }
            guard offsets[1] - offsets[0] == byteCount else {
                throw bad("data_offsets \(offsets) span \(offsets[1] - offsets[0]) bytes but \(dtype.rawValue) of shape \(shape) needs \(byteCount)", .mismatch)
            }
            guard offsets[1] <= bufferSize else {
                throw bad("data_offsets \(offsets) reach past the end of the \(bufferSize)-byte data buffer", .truncated)
            }
            spans.append(Span(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        spans.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        for span in spans {
            guard span.begin == covered else {
                let problem = span.begin < covered ? "overlaps the previous tensor" : "leaves a gap of \(span.begin - covered) bytes before it"
                throw DataError(.invalidHeader, path: path, at: .byteOffset(bufferStart + span.begin),
                                "tensor \"\(span.name)\" at data_offsets [\(span.begin), \(span.end)] \(problem)")
            }
            covered = span.end
        }
        guard covered == bufferSize else {
            throw DataError(.trailingBytes, path: path, at: .byteOffset(bufferStart + covered),
                            "the tensors cover \(covered) bytes of the \(bufferSize)-byte data buffer")
        }
        var tensors: [String: SafeTensorsEntry] = [:]
        for span in spans {
            tensors[span.name] = SafeTensorsEntry(dtype: span.dtype, shape: span.shape,
                                                  bytes: Array(bytes[(bufferStart + span.begin)..<(bufferStart + span.end)]))
        }
        return SafeTensorsFile(tensors: tensors, metadata: metadata)
    }

    /// The bytes of a safetensors file: tensors stored in name order, the JSON header padded
    /// with spaces so the data buffer starts at a multiple of 8 bytes.
    public static func encode(_ file: SafeTensorsFile) -> [UInt8] {
        let names = file.tensors.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        var json = "{"
        var parts: [String] = []
        if let metadata = file.metadata {
            let keys = metadata.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            let items = keys.map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for name in names {
            let entry = file.tensors[name]!
            let end = offset + entry.bytes.count
            let shape = entry.shape.map(String.init).joined(separator: ",")
            parts.append("\(jsonString(name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        json += parts.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var out = littleEndianBytes([UInt64(header.count)])
        out.reserveCapacity(8 + header.count + offset)
        out.append(contentsOf: header)
        for name in names { out.append(contentsOf: file.tensors[name]!.bytes) }
        return out
    }

    /// Writes a safetensors file atomically (temporary file, fsync, rename).
    /// - Throws: `DataError` of kind `.io`.
    public static func write(_ file: SafeTensorsFile, to url: URL) throws {
        try FileIO.writeAtomically(encode(file), to: url)
    }

    // MARK: - Internals

    /// Exact integers from JSON numbers; nil when any is fractional, negative-overflowing or not a number.
    static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            // Exact integers print as digits only; fractions, exponents, booleans and values
            // outside Int do not parse back as Int.
            guard let number = value as? NSNumber, let exact = Int(number.stringValue) else { return nil }
            result.append(exact)
        }
        return result
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func littleEndianBytes<T: FixedWidthInteger>(_ words: [T]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(words.count * MemoryLayout<T>.size)
        for word in words { withUnsafeBytes(of: word.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    /// IEEE 754 half precision to single precision.
    static func floatFromHalf(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int(h >> 10 & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }   // inf, NaN
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24                                      // subnormal or zero
            return sign != 0 ? -magnitude : magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | mantissa << 13)
    }
}
