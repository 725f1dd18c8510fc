import Foundation

/// The element types of the IDX format (the third byte of an IDX file).
public enum IDXDataType: UInt8, CaseIterable, Sendable {
    /// Unsigned 8-bit integers (code 0x08), the type of MNIST images and labels.
    case uint8 = 0x08
    /// Signed 8-bit integers (code 0x09).
    case int8 = 0x09
    /// Big-endian signed 16-bit integers (code 0x0B).
    case int16 = 0x0B
    /// Big-endian signed 32-bit integers (code 0x0C).
    case int32 = 0x0C
    /// Big-endian IEEE 754 single-precision floats (code 0x0D).
    case float32 = 0x0D
    /// Big-endian IEEE 754 double-precision floats (code 0x0E).
    case float64 = 0x0E

    /// The size of one element in bytes.
    public var byteCount: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }
}

/// The elements of an IDX array, in row-major order, in their stored type.
public enum IDXValues: Equatable, Sendable {
    /// Unsigned bytes (IDX type 0x08).
    case uint8([UInt8])
    /// Signed bytes (0x09).
    case int8([Int8])
    /// 16-bit integers (0x0B).
    case int16([Int16])
    /// 32-bit integers (0x0C).
    case int32([Int32])
    /// Single-precision floats (0x0D).
    case float32([Float])
    /// Double-precision floats (0x0E).
    case float64([Double])

    /// The element type.
    public var dataType: IDXDataType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .int16: return .int16
        case .int32: return .int32
        case .float32: return .float32
        case .float64: return .float64
        }
    }

    /// The number of elements.
    public var count: Int {
        switch self {
        case .uint8(let v): return v.count
        case .int8(let v): return v.count
        case .int16(let v): return v.count
        case .int32(let v): return v.count
        case .float32(let v): return v.count
        case .float64(let v): return v.count
        }
    }
}

/// An n-dimensional array read from or written to an IDX file.
///
/// `shape` and the row-major `values` map directly onto a tensor: for MNIST images the shape is
/// `[count, rows, columns]`.
public struct IDXArray: Equatable, Sendable {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order.
    public private(set) var values: IDXValues

    /// Creates an array. The element count must equal the product of `shape`, which must have
    /// between 1 and `IDX.maximumRank` dimensions, each below 2^32.
    public init(shape: [Int], values: IDXValues) {
        precondition((1...IDX.maximumRank).contains(shape.count), "IDX arrays have 1...\(IDX.maximumRank) dimensions")
        precondition(shape.allSatisfy { $0 >= 0 && $0 <= Int(UInt32.max) }, "IDX dimensions are in 0...UInt32.max")
        precondition(shape.reduce(1, *) == values.count, "the shape \(shape) does not hold \(values.count) elements")
        self.shape = shape
        self.values = values
    }

    /// The element type.
    public var dataType: IDXDataType { values.dataType }

    /// The number of elements.
    public var count: Int { values.count }

    /// The elements converted to `Float` (unscaled: a byte 255 becomes 255.0).
    public func floats() -> [Float] {
        switch values {
        case .uint8(let v): return v.map { Float($0) }
        case .int8(let v): return v.map { Float($0) }
        case .int16(let v): return v.map { Float($0) }
        case .int32(let v): return v.map { Float($0) }
        case .float32(let v): return v
        case .float64(let v): return v.map { Float($0) }
        }
    }

    /// The elements as integers, or nil for floating-point arrays.
    public func integers() -> [Int]? {
        switch values {
        case .uint8(let v): return v.map { Int($0) }
        case .int8(let v): return v.map { Int($0) }
        case .int16(let v): return v.map { Int($0) }
        case .int32(let v): return v.map { Int($0) }
        case .float32, .float64: return nil
        }
    }
}

/// Reading and writing IDX files, plain or gzip-compressed.
///
/// An IDX file is two zero bytes, a type byte (see `IDXDataType`), a rank byte, one big-endian
/// 32-bit size per dimension, then the elements, big-endian, in row-major order.
public enum IDX {
    /// The largest rank the reader accepts.
    public static let maximumRank = 16

    /// The default cap on the bytes a file may hold after decompression: 8 GiB, or half of this
    /// machine's physical memory when that is less.
    public static var defaultByteLimit: Int {
        min(8 << 30, Int(clamping: ProcessInfo.processInfo.physicalMemory / 2))
    }

    /// Deflate cannot expand data by more than about 1032:1, so a gzip file of n bytes
    /// cannot hold more than this many bytes per compressed byte (with a margin).
    static let maximumCompressionRatio = 1100

    /// Reads an IDX file, plain or gzip-compressed (recognised by its 1f 8b magic, not its name).
    ///
    /// The header is checked before anything it declares is allocated: the declared data size must
    /// match the file exactly (no truncation, no trailing bytes) and stay within `byteLimit`.
    /// - Throws: `DataError`.
    public static func read(contentsOf url: URL, byteLimit: Int = defaultByteLimit) throws -> IDXArray {
        try decodeOwned(FileIO.readAll(url, byteLimit: byteLimit), path: url.path, byteLimit: byteLimit)
    }

    /// The element type and shape an IDX file (plain or gzip-compressed) declares, read without
    /// decompressing or allocating its data.
    /// - Throws: `DataError` about the header.
    public static func readHeader(contentsOf url: URL) throws -> (dataType: IDXDataType, shape: [Int]) {
        let file = try FileIO.openRegularFile(url)
        var prefix = [UInt8](repeating: 0, count: 4 + 4 * 255)
        var count = 0
        while count < prefix.count {
            let n = try prefix.withUnsafeMutableBytes { try file.read(into: $0.baseAddress! + count, count: $0.count - count) }
            if n == 0 { break }
            count += n
        }
        prefix.removeLast(prefix.count - count)
        guard !prefix.isEmpty else { throw DataError(.emptyFile, path: url.path, "the file is empty, expected an IDX header") }
        if FileIO.isGzip(prefix) {
            prefix = try FileIO.gunzipPrefix(FileIO.readAll(url), count: 4 + 4 * 255, path: url.path)
            guard !prefix.isEmpty else { throw DataError(.emptyFile, path: url.path, "the compressed file holds no data, expected an IDX header") }
        }
        let header = try parseHeader(prefix, path: url.path)
        return (header.dataType, header.shape)
    }

    /// Decodes the bytes of an IDX file, plain or gzip-compressed. `path` names the source in errors.
    /// - Throws: `DataError`.
    public static func decode(_ bytes: [UInt8], path: String? = nil, byteLimit: Int = defaultByteLimit) throws -> IDXArray {
        try decodeOwned(bytes, path: path, byteLimit: byteLimit)
    }

    /// `decode`, free to reuse the storage of `bytes` for the elements when it is not shared.
    static func decodeOwned(_ bytes: consuming [UInt8], path: String?, byteLimit: Int) throws -> IDXArray {
        precondition(byteLimit >= 0, "byteLimit must not be negative")
        guard !bytes.isEmpty else { throw DataError(.emptyFile, path: path, "the file is empty, expected an IDX header") }
        guard FileIO.isGzip(bytes) else {
            let header = try parseHeader(bytes, path: path)
            try checkSize(header, available: bytes.count, path: path, byteLimit: byteLimit)
            return decodeBody(bytes, header: header)
        }
        // Compressed: read the header alone, check what it declares, then decompress exactly that much.
        let prefix = try FileIO.gunzipPrefix(bytes, count: 4 + 4 * 255, path: path)
        guard !prefix.isEmpty else { throw DataError(.emptyFile, path: path, "the compressed file holds no data, expected an IDX header") }
        let header = try parseHeader(prefix, path: path)
        let total = header.headerByteCount + header.dataByteCount  // cannot overflow: checked in parseHeader
        guard total <= byteLimit else {
            throw DataError(.tooLarge, path: path, "the header declares \(total) bytes, more than the limit of \(byteLimit)")
        }
        let (plausible, overflow) = bytes.count.multipliedReportingOverflow(by: maximumCompressionRatio)
        if !overflow && total > plausible + 4096 {
            throw DataError(.truncated, path: path,
                            "the header declares \(total) bytes but \(bytes.count) compressed bytes cannot hold more than \(plausible + 4096)")
        }
        let plain: [UInt8]
        do {
            plain = try FileIO.gunzip(bytes, limit: total, path: path)
        } catch let error as DataError where error.kind == .tooLarge {
            throw DataError(.trailingBytes, path: path, at: .byteOffset(total),
                            "decompressed data continues after the \(header.dataByteCount) data bytes the header declares")
        }
        try checkSize(header, available: plain.count, path: path, byteLimit: byteLimit)
        return decodeBody(consume plain, header: header)
    }

    /// The bytes of an uncompressed IDX file holding `array`.
    public static func encode(_ array: IDXArray) -> [UInt8] {
        var out: [UInt8] = [0, 0, array.dataType.rawValue, UInt8(array.shape.count)]
        out.reserveCapacity(4 + 4 * array.shape.count + array.count * array.dataType.byteCount)
        for dimension in array.shape { appendBigEndian(UInt32(dimension), to: &out) }
        switch array.values {
        case .uint8(let v): out.append(contentsOf: v)
        case .int8(let v): for x in v { out.append(UInt8(bitPattern: x)) }
        case .int16(let v): for x in v { appendBigEndian(UInt16(bitPattern: x), to: &out) }
        case .int32(let v): for x in v { appendBigEndian(UInt32(bitPattern: x), to: &out) }
        case .float32(let v): for x in v { appendBigEndian(x.bitPattern, to: &out) }
        case .float64(let v): for x in v { appendBigEndian(x.bitPattern, to: &out) }
        }
        return out
    }

    /// Writes `array` as an uncompressed IDX file, atomically.
    /// - Throws: `DataError` of kind `.io`.
    public static func write(_ array: IDXArray, to url: URL) throws {
        try FileIO.writeAtomically(encode(array), to: url)
    }

    // MARK: - Internals

    struct Header {
        var dataType: IDXDataType
        var shape: [Int]
        var headerByteCount: Int
        var elementCount: Int
        var dataByteCount: Int
    }

    static func parseHeader(_ bytes: [UInt8], path: String?) throws -> Header {
        guard bytes.count >= 4 else {
            throw DataError(.truncated, path: path, at: .byteOffset(bytes.count),
                            "the file ends inside the 4-byte IDX magic number (it holds \(bytes.count) bytes)")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw DataError(.badMagic, path: path, at: .byteOffset(0),
                            "not an IDX file: expected the magic bytes 00 00, found \(hex(bytes[0])) \(hex(bytes[1]))")
        }
        guard let dataType = IDXDataType(rawValue: bytes[2]) else {
            throw DataError(.unsupportedDataType, path: path, at: .byteOffset(2),
                            "unknown IDX type code \(hex(bytes[2])), expected 08, 09, 0B, 0C, 0D or 0E")
        }
        let rank = Int(bytes[3])
        guard (1...maximumRank).contains(rank) else {
            throw DataError(.invalidHeader, path: path, at: .byteOffset(3),
                            "unsupported rank \(rank), expected 1...\(maximumRank) dimensions")
        }
        let headerByteCount = 4 + 4 * rank
        guard bytes.count >= headerByteCount else {
            throw DataError(.truncated, path: path, at: .byteOffset(bytes.count),
                            "the file ends inside the header: \(rank) dimensions need \(headerByteCount) header bytes, the file holds \(bytes.count)")
        }
        var shape: [Int] = []
        var elementCount = 1
        var overflowed = false
        for i in 0..<rank {
            let o = 4 + 4 * i
            let size = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            shape.append(size)
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            overflowed = overflowed || overflow
            elementCount = product
        }
        var dataByteCount = 0
        if !overflowed {
            (dataByteCount, overflowed) = elementCount.multipliedReportingOverflow(by: dataType.byteCount)
        }
        if !overflowed {
            overflowed = dataByteCount.addingReportingOverflow(headerByteCount).overflow
        }
        if overflowed {
            throw DataError(.sizeOverflow, path: path, at: .byteOffset(4),
                            "the dimensions \(shape) describe more elements than can be addressed")
        }
        return Header(dataType: dataType, shape: shape, headerByteCount: headerByteCount,
                      elementCount: elementCount, dataByteCount: dataByteCount)
    }

    static func checkSize(_ header: Header, available: Int, path: String?, byteLimit: Int) throws {
        let present = available - header.headerByteCount
        if present < header.dataByteCount {
            throw DataError(.truncated, path: path, at: .byteOffset(available),
                            "truncated: the header declares shape \(header.shape) of \(header.dataType) = \(header.dataByteCount) data bytes, but the file holds only \(present)")
        }
        if present > header.dataByteCount {
            throw DataError(.trailingBytes, path: path, at: .byteOffset(header.headerByteCount + header.dataByteCount),
                            "\(present - header.dataByteCount) unexpected bytes after the \(header.dataByteCount) data bytes the header declares")
        }
        if available > byteLimit {
            throw DataError(.tooLarge, path: path, "the file holds \(available) bytes, more than the limit of \(byteLimit)")
        }
    }

    /// Decodes the elements; the sizes were checked before. Unsigned bytes keep the storage of
    /// `bytes` when it is not shared (the header is shifted out in place).
    static func decodeBody(_ bytes: consuming [UInt8], header: Header) -> IDXArray {
        let start = header.headerByteCount
        let n = header.elementCount
        if header.dataType == .uint8 {
            var elements = bytes
            elements.removeFirst(start)
            return IDXArray(shape: header.shape, values: .uint8(elements))
        }
        let values: IDXValues = bytes.withUnsafeBytes { raw in
            let body = UnsafeRawBufferPointer(rebasing: raw[start..<(start + header.dataByteCount)])
            switch header.dataType {
            case .uint8:
                preconditionFailure("unsigned bytes are decoded above")
            case .int8:
                return .int8(body.map { Int8(bitPattern: $0) })
            case .int16:
                return .int16((0..<n).map { Int16(bitPattern: UInt16(bigEndian: body.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) })
            case .int32:
                return .int32((0..<n).map { Int32(bitPattern: UInt32(bigEndian: body.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) })
            case .float32:
                return .float32((0..<n).map { Float(bitPattern: UInt32(bigEndian: body.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) })
            case .float64:
                return .float64((0..<n).map { Double(bitPattern: UInt64(bigEndian: body.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) })
            }
        }
        return IDXArray(shape: header.shape, values: values)
    }

    static func appendBigEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
