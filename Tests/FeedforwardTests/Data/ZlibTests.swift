import CFeedforwardKernels
import Foundation
import Testing
@testable import Feedforward

@Suite("Data: zlib loader") struct DataZlibTests {
    func gunzip(_ input: [UInt8], max: Int) -> (ff_inflate_status, [UInt8]) {
        var output = [UInt8](repeating: 0xAA, count: max)
        var size = 0
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { ff_gunzip(source.baseAddress, source.count, $0.baseAddress, max, &size) }
        }
        #expect(output[size...].allSatisfy { $0 == 0xAA }, "nothing is written past the count reported")
        return (status, status == FF_INFLATE_OK ? Array(output[..<size]) : [])
    }

    @Test func loadsZlib() {
        #expect(ff_zlib_version() != nil)
    }

    @Test func capsTheOutputExactly() {
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let gz = TestGzip.compress(payload)
        #expect(gunzip(gz, max: payload.count) == (FF_INFLATE_OK, payload))
        #expect(gunzip(gz, max: payload.count - 1).0 == FF_INFLATE_TOO_LARGE)
        #expect(gunzip(gz, max: 0).0 == FF_INFLATE_TOO_LARGE)
        #expect(gunzip(TestGzip.compress([]), max: 0) == (FF_INFLATE_OK, []))
    }

    @Test func handlesMembersTruncationAndCorruption() {
        let a = TestGzip.compress([1, 2, 3]), b = TestGzip.compress([4, 5])
        #expect(gunzip(a + b, max: 100) == (FF_INFLATE_OK, [1, 2, 3, 4, 5]))
        #expect(gunzip(a + [0, 0, 0], max: 100) == (FF_INFLATE_OK, [1, 2, 3]))     // zero padding
        #expect(gunzip(a + [9], max: 100).0 == FF_INFLATE_CORRUPT)                 // other trailing bytes
        #expect(gunzip(Array(a.dropLast(3)), max: 100).0 == FF_INFLATE_TRUNCATED)
        #expect(gunzip([], max: 100).0 == FF_INFLATE_TRUNCATED)
        #expect(gunzip([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255, 0xFF], max: 100).0 == FF_INFLATE_CORRUPT)
    }

    @Test func readsZlibStreams() throws {
        // zlib header 78 01, one stored block holding "abc", Adler-32 of "abc".
        let stream: [UInt8] = [0x78, 0x01, 0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63, 0x02, 0x4D, 0x01, 0x27]
        #expect(gunzip(stream, max: 10) == (FF_INFLATE_OK, Array("abc".utf8)))
    }
}
