import Foundation
import Testing
@testable import Feedforward

@Suite("Data: labelled images") struct DataImageDatasetTests {
    /// Writes an MNIST-style directory with `count` 2x3 images per split.
    func makeDirectory(trainLabels: [UInt8], testLabels: [UInt8], gzip: Bool, trainImageCount: Int? = nil) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        func write(_ name: String, _ array: IDXArray) throws {
            let bytes = IDX.encode(array)
            _ = try dir.file(gzip ? name + ".gz" : name, gzip ? TestGzip.compress(bytes) : bytes)
        }
        for (split, labels, n) in [("train", trainLabels, trainImageCount ?? trainLabels.count), ("t10k", testLabels, testLabels.count)] {
            let pixels = (0..<(n * 6)).map { UInt8(truncatingIfNeeded: $0 * 17) }
            try write("\(split)-images-idx3-ubyte", IDXArray(shape: [n, 2, 3], values: .uint8(pixels)))
            try write("\(split)-labels-idx1-ubyte", IDXArray(shape: [labels.count], values: .uint8(labels)))
        }
        return dir
    }

    @Test(arguments: [false, true]) func loadsADirectory(gzip: Bool) throws {
        let dir = try makeDirectory(trainLabels: [0, 9, 3], testLabels: [1, 2], gzip: gzip)
        let data = try MNIST.load(from: dir.url)
        #expect(data.train.count == 3 && data.test.count == 2)
        #expect(data.train.shape == [3, 6] && data.train.height == 2 && data.train.width == 3)
        #expect(data.train.labels == [0, 9, 3])
        #expect(data.train.images[1] == Float(17) / 255)
        #expect(data.train.images.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(data.classNames.count == 10)
    }

    @Test func rejectsLabelsOutOfRange() throws {
        let dir = try makeDirectory(trainLabels: [0, 10, 3], testLabels: [1, 2], gzip: false)
        let error = expectDataError(.labelOutOfRange) { try MNIST.load(from: dir.url) }
        #expect(error?.location == .byteOffset(9))
        #expect(error?.path?.hasSuffix("train-labels-idx1-ubyte") == true)
    }

    @Test func rejectsCountMismatch() throws {
        let dir = try makeDirectory(trainLabels: [0, 1, 3], testLabels: [1, 2], gzip: true, trainImageCount: 4)
        let error = expectDataError(.mismatch) { try MNIST.load(from: dir.url) }
        #expect(error?.description.contains("3 labels for 4 images") == true)
    }

    @Test func reportsMissingFiles() throws {
        let dir = try TemporaryDirectory()
        expectDataError(.io) { try MNIST.load(from: dir.url) }
    }

    @Test func loadsTheBundledFashionMNISTSubset() throws {
        let data = try FashionMNIST.loadBundledSubset()
        #expect(data.train.count == 8000 && data.test.count == 2000)
        #expect(data.train.shape == [8000, 784] && data.test.shape == [2000, 784])
        #expect(data.train.height == 28 && data.train.width == 28)
        for split in [data.train, data.test] {
            var perClass = [Int](repeating: 0, count: 10)
            for label in split.labels { perClass[Int(label)] += 1 }
            #expect(Set(perClass).count == 1, "the subset is stratified: \(perClass)")
        }
        #expect(data.classNames == FashionMNIST.classNames)
    }

    @Test func loadsTheSystemFashionMNISTWhenInstalled() throws {
        guard FashionMNIST.defaultDirectory() != nil else { return }   // not installed here
        let data = try FashionMNIST.load()
        #expect(data.train.count == 60000 && data.test.count == 10000)
        #expect(data.train.pixelCount == 784)
    }

    @Test func xorHasFourPoints() {
        let xor = BuiltinData.xor()
        #expect(xor.shape == [4, 2])
        #expect(xor.features == [0, 0, 0, 1, 1, 0, 1, 1])
        #expect(xor.targets == .values([0, 1, 1, 0]))
        #expect(BuiltinData.xor(asClasses: true).targets == .classes(labels: [0, 1, 1, 0], classNames: ["0", "1"]))
    }
}
