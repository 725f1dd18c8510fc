/// The TFRecord framing of TensorFlow's record files, which TensorBoard event files use: each record
/// is its length as a little-endian `UInt64`, the masked CRC-32C of those eight bytes, the data,
/// and the masked CRC-32C of the data.
///
/// It is written here by hand because it is twenty lines: swift-protobuf encodes the messages but
/// not this framing, and no maintained Swift package among those this project may use provides
/// CRC-32C (Castagnoli), which differs from zlib's CRC-32 in its polynomial.
enum TFRecord {
    /// One framed record holding `data`.
    static func frame(_ data: [UInt8]) -> [UInt8] {
        var length = UInt64(data.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Array($0) }
        var record = lengthBytes
        record.reserveCapacity(data.count + 16)
        appendLittleEndian(maskedCRC32C(lengthBytes), to: &record)
        record += data
        appendLittleEndian(maskedCRC32C(data), to: &record)
        return record
    }

    /// The CRC-32C of `bytes` rotated right by 15 bits plus 0xa282ead8, as TensorFlow stores it
    /// (a CRC of data that holds CRCs is weak, so stored CRCs are masked).
    static func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 {
        let crc = crc32c(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8
    }

    /// The CRC-32C (Castagnoli polynomial, reflected 0x82f63b78) of `bytes`.
    static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes {
            crc = crc32cTable[Int(UInt8(truncatingIfNeeded: crc) ^ byte)] ^ (crc >> 8)
        }
        return ~crc
    }

    /// The byte-at-a-time table of the reflected Castagnoli polynomial.
    static let crc32cTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0x82f6_3b78 : value >> 1 }
        return value
    }

    static func appendLittleEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}
