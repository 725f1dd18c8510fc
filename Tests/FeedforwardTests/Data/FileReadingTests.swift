import Foundation
import Testing
@testable import Feedforward

@Suite("Data: what the readers open") struct DataFileReadingTests {
    /// Devices, FIFOs and directories are refused by name, before they are opened (a FIFO without a
    /// writer would block `open`; /dev/zero never ends).
    @Test func refusesWhatIsNotARegularFile() throws {
        let dir = try TemporaryDirectory()
        let fifo = dir.url.appendingPathComponent("pipe.csv")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let cases: [(URL, String)] = [
            (fifo, "is a FIFO (named pipe), expected a regular file"),
            (URL(fileURLWithPath: "/dev/zero"), "is a character device, expected a regular file"),
            (dir.url, "is a directory, expected a regular file"),
            (dir.url.appendingPathComponent("missing.csv"), "no such file"),
        ]
        for (url, message) in cases {
            let csv = expectDataError(.io) { try CSV.readDataset(contentsOf: url, target: .last, kind: .classification()) }
            #expect(csv?.message == message)
            let idx = expectDataError(.io) { try IDX.read(contentsOf: url) }
            #expect(idx?.message == message)
            expectDataError(.io) { try LabeledImages.features(ofImagesAt: url) }
        }
    }

    /// Files that report a size of zero (/proc) are read to their end, within a cap.
    @Test func readsFilesWithoutAReportedSize() throws {
        let status = try FileIO.readAll(URL(fileURLWithPath: "/proc/self/status"))
        #expect(String(decoding: status, as: UTF8.self).contains("VmHWM:"))
        let error = expectDataError(.tooLarge) { try FileIO.readAll(URL(fileURLWithPath: "/proc/self/status"), byteLimit: 16) }
        #expect(error?.message.contains("limit of 16") == true)
        expectDataError(.badMagic) { try IDX.read(contentsOf: URL(fileURLWithPath: "/proc/self/status")) }
    }

    @Test func refusesPlainFilesPastTheLimitBeforeReadingThem() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("a.idx", IDX.encode(IDXArray(shape: [100], values: .uint8(Array(repeating: 1, count: 100)))))
        let error = expectDataError(.tooLarge) { try IDX.read(contentsOf: url, byteLimit: 50) }
        #expect(error?.message == "the file holds 108 bytes, more than the limit of 50")
    }
}

@Suite("Data: image headers before data") struct DataImageHeaderTests {
    /// A gzip stream holding only an IDX header that declares `count` 28x28 images.
    func headerOnly(count: Int) -> [UInt8] {
        TestGzip.compress(IDX.encode(IDXArray(shape: [0, 28, 28], values: .uint8([])))
            .enumerated().map { $0.offset >= 4 && $0.offset < 8 ? UInt8(truncatingIfNeeded: count >> (8 * (7 - $0.offset))) : $0.element })
    }

    /// The image and label headers are compared, and the image bytes checked against the limit,
    /// before the images are decompressed: these images hold no data at all, which a reader that
    /// inflated first would report as truncation.
    @Test func checksDeclaredSizesBeforeInflating() throws {
        let dir = try TemporaryDirectory()
        let images = try dir.file("images.gz", headerOnly(count: 3_000_000))
        let labels = try dir.file("labels", IDX.encode(IDXArray(shape: [10], values: .uint8(Array(repeating: 1, count: 10)))))
        let mismatch = expectDataError(.mismatch) { try LabeledImages.load(images: images, labels: labels, classCount: 10) }
        #expect(mismatch?.message.contains("10 labels for 3000000 images") == true)
        let manyLabels = try dir.file("many-labels.gz", TestGzip.compress(IDX.encode(
            IDXArray(shape: [3_000_000], values: .uint8(Array(repeating: 1, count: 3_000_000))))))
        let tooLarge = expectDataError(.tooLarge) {
            try LabeledImages.load(images: images, labels: manyLabels, classCount: 10, byteLimit: 1 << 30)
        }
        #expect(tooLarge?.message == "the header declares 3000000 images of 28x28 = 2352000000 bytes, more than the limit of 1073741824 bytes")
        // Within the limit, the missing data is found when the images are read.
        expectDataError(.truncated) { try LabeledImages.load(images: images, labels: manyLabels, classCount: 10, byteLimit: 4 << 30) }
    }

    /// `predict` reads images by the rule `train` and `evaluate` use: unsigned bytes only, scaled by 1/255.
    @Test func readsFeaturesByTheTrainingRule() throws {
        let dir = try TemporaryDirectory()
        let bytes = try dir.file("u8.idx", IDX.encode(IDXArray(shape: [2, 1, 2], values: .uint8([0, 51, 255, 102]))))
        let features = try LabeledImages.features(ofImagesAt: bytes)
        #expect(features.shape == [2, 2])
        #expect(features.scalars == [0, 0.2, 1, 0.4])
        let signed = try dir.file("i8.idx", IDX.encode(IDXArray(shape: [2, 1, 2], values: .int8([0, 51, -1, 102]))))
        let error = expectDataError(.unsupportedDataType) { try LabeledImages.features(ofImagesAt: signed) }
        #expect(error?.location == .byteOffset(2))
        expectDataError(.unsupportedDataType) { try LabeledImages.load(images: signed, labels: bytes, classCount: 2) }
        let vector = try dir.file("v.idx", IDX.encode(IDXArray(shape: [4], values: .uint8([1, 2, 3, 4]))))
        expectDataError(.invalidHeader) { try LabeledImages.features(ofImagesAt: vector) }
    }
}
