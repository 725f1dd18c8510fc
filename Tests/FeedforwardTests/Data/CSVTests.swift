import Foundation
import Testing
@testable import Feedforward

@Suite("Data: CSV") struct DataCSVTests {
    func parse(_ text: String) throws -> CSVTable { try CSV.parse(Array(text.utf8), path: "t.csv") }

    @Test func parsesQuotedFieldsAndCRLF() throws {
        let table = try parse("a,b,c\r\n1,\"x, \"\"y\"\"\",3\r\n\"multi\nline\",,\"\"\r\n")
        #expect(table.header == ["a", "b", "c"])
        #expect(table.rows == [["1", "x, \"y\"", "3"], ["multi\nline", "", ""]])
        #expect(table.lineNumbers == [2, 3])
    }

    @Test func skipsBlankLinesAndByteOrderMark() throws {
        let table = try CSV.parse([0xEF, 0xBB, 0xBF] + Array("x,y\n\n1,2\n\n".utf8))
        #expect(table.header == ["x", "y"])
        #expect(table.rows == [["1", "2"]])
    }

    @Test func readsAClassificationDataset() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("iris.csv", Array("f1,species,f2\n1.5,b,2\n-3,a,4e1\n 0 ,b,5\n".utf8))
        let sorted = try CSV.readDataset(contentsOf: url, target: .name("species"), kind: .classification())
        #expect(sorted.featureNames == ["f1", "f2"])
        #expect(sorted.features == [1.5, 2, -3, 40, 0, 5])
        #expect(sorted.shape == [3, 2])
        #expect(sorted.targets == .classes(labels: [1, 0, 1], classNames: ["a", "b"]))
        let seen = try CSV.readDataset(contentsOf: url, target: .index(1), kind: .classification(order: .firstSeen))
        #expect(seen.targets == .classes(labels: [0, 1, 0], classNames: ["b", "a"]))
    }

    @Test func sortsNumericLabelsNumerically() throws {
        let table = try parse("x,y\n1,10\n2,2\n3,9\n")
        let data = try CSV.dataset(from: table, target: .last, kind: .classification())
        #expect(data.targets == .classes(labels: [2, 0, 1], classNames: ["2", "9", "10"]))
    }

    @Test func readsARegressionDataset() throws {
        let data = try CSV.dataset(from: parse("x,y\n1,0.5\n2,-1\n"), target: .last, kind: .regression)
        #expect(data.features == [1, 2])
        #expect(data.targets == .values([0.5, -1]))
    }

    @Test func rejectsRaggedRows() {
        let error = expectDataError(.raggedRow) { try parse("a,b\n1,2\n3,4,5\n") }
        #expect(error?.location == .lineColumn(line: 3, column: 5))
        #expect(error?.description.hasPrefix("t.csv:3:5:") == true)
        expectDataError(.raggedRow) { try parse("a,b\r\n1\r\n") }
    }

    @Test func rejectsNonNumericValues() throws {
        let table = try parse("a,b,label\n1,2,x\n3,n/a,y\n")
        let error = expectDataError(.nonNumericValue) { try CSV.dataset(from: table, target: .name("label"), kind: .classification(), path: "t.csv") }
        #expect(error?.location == .lineColumn(line: 3, column: 3))
        #expect(error?.description.contains("\"b\"") == true)
        expectDataError(.nonNumericValue) { try CSV.dataset(from: parse("a,y\n,1\n"), target: .last, kind: .regression) }
        expectDataError(.nonNumericValue) { try CSV.dataset(from: parse("a,y\n1,inf\n"), target: .last, kind: .regression) }
    }

    @Test func rejectsBadQuotes() {
        let open = expectDataError(.malformedQuotedField) { try parse("a,b\n1,\"never closed\n") }
        #expect(open?.location == .lineColumn(line: 2, column: 3))
        expectDataError(.malformedQuotedField) { try parse("a,b\n\"x\"y,1\n") }
        expectDataError(.malformedQuotedField) { try parse("a,b\nx\"y,1\n") }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes = Array("a,b\n1,".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        let error = expectDataError(.invalidUTF8) { try CSV.parse(bytes, path: "t.csv") }
        #expect(error?.location == .lineColumn(line: 2, column: 3))
        expectDataError(.invalidUTF8) { try CSV.parse([0xED, 0xA0, 0x80]) }      // an encoded surrogate
        expectDataError(.invalidUTF8) { try CSV.parse([0xF0, 0x9F, 0x98]) }      // cut short
    }

    @Test func acceptsValidMultibyteText() throws {
        let table = try parse("naïve,日本\n1,2\n")
        #expect(table.header == ["naïve", "日本"])
        let error = expectDataError(.raggedRow) { try parse("é,日\n1,2,3\n") }
        #expect(error?.location == .lineColumn(line: 2, column: 5))
    }

    @Test func rejectsEmptyFilesAndMissingColumns() throws {
        expectDataError(.emptyFile) { try CSV.parse([]) }
        expectDataError(.emptyFile) { try parse("\n\r\n") }
        let table = try parse("a,b\n1,2\n")
        expectDataError(.missingColumn) { try CSV.dataset(from: table, target: .name("c"), kind: .regression) }
        expectDataError(.missingColumn) { try CSV.dataset(from: table, target: .index(2), kind: .regression) }
    }
}

@Suite("Data: standardizer") struct DataStandardizerTests {
    @Test func usesTrainingStatisticsOnly() {
        let train: [Float] = [1, 10, 3, 10, 5, 10]          // 3 rows x 2 features; feature 2 constant
        let test: [Float] = [7, 20]
        let standardizer = Standardizer(fitting: train, featureCount: 2)
        #expect(standardizer.mean == [3, 10])
        #expect(abs(standardizer.standardDeviation[0] - (8 as Float / 3).squareRoot()) < 1e-6)
        #expect(standardizer.standardDeviation[1] == 1)      // zero spread: divisor 1
        let z = standardizer.transform(train)
        #expect(abs(z[0] + 1.2247449) < 1e-5 && z[2] == 0 && abs(z[4] - 1.2247449) < 1e-5)
        #expect(z[1] == 0 && z[3] == 0 && z[5] == 0)
        let t = standardizer.transform(test)                   // test uses the train mean and deviation
        #expect(abs(t[0] - 4 / (8 as Float / 3).squareRoot()) < 1e-5)
        #expect(t[1] == 10)
        let back = standardizer.inverseTransform(t)
        #expect(abs(back[0] - 7) < 1e-5 && back[1] == 20)
    }
}

@Suite("Data: seeded generator and batching") struct DataSeededGeneratorTests {
    // Reference values from Fixtures/xoshiro_reference.py (the published algorithm definitions).
    @Test func matchesReferenceOutputs() {
        var zero = SeededRandomNumberGenerator(seed: 0)
        #expect(zero.state == [0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f, 0xf88bb8a8724c81ec])
        #expect((0..<5).map { _ in zero.next() } ==
                [0x99ec5f36cb75f2b4, 0xbf6e1f784956452a, 0x1a5f849d4933e6e0, 0x6aa594f1262d2d2c, 0xbba5ad4a1f842e59])
        var g = SeededRandomNumberGenerator(seed: 42)
        #expect((0..<5).map { _ in g.next() } ==
                [0x15780b2e0c2ec716, 0x6104d9866d113a7e, 0xae17533239e499a1, 0xecb8ad4703b360a1, 0xfde6dc7fe2ec5e64])
    }

    @Test func restoresFromState() {
        var a = SeededRandomNumberGenerator(seed: 7)
        _ = a.next()
        var b = SeededRandomNumberGenerator(state: a.state)!
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
        #expect(SeededRandomNumberGenerator(state: [0, 0, 0, 0]) == nil)
        #expect(SeededRandomNumberGenerator(state: [1, 2, 3]) == nil)
    }

    @Test func boundedValuesAndPermutations() {
        var g = SeededRandomNumberGenerator(seed: 1)
        for bound in [1, 2, 3, 10, 1000, Int.max] {
            for _ in 0..<100 { #expect((0..<bound).contains(g.nextInt(below: bound))) }
        }
        for _ in 0..<100 {
            let d = g.nextDouble(), f = g.nextFloat()
            #expect(d >= 0 && d < 1 && f >= 0 && f < 1)
        }
        let p = g.permutation(count: 50)
        #expect(p.sorted() == Array(0..<50) && p != Array(0..<50))
        var h1 = SeededRandomNumberGenerator(seed: 99), h2 = SeededRandomNumberGenerator(seed: 99)
        #expect(h1.permutation(count: 20) == h2.permutation(count: 20))
    }

    @Test func splitsAndBatches() {
        var g = SeededRandomNumberGenerator(seed: 3)
        let (train, validation) = Minibatching.trainValidationSplit(count: 10, validationFraction: 0.3, using: &g)
        #expect(validation.count == 3 && train.count == 7)
        #expect(Set(train).isDisjoint(with: validation) && (train + validation).sorted() == Array(0..<10))
        #expect(Minibatching.batchRanges(count: 10, batchSize: 4) == [0..<4, 4..<8, 8..<10])
        #expect(Minibatching.batchRanges(count: 10, batchSize: 4, dropLast: true) == [0..<4, 4..<8])
        #expect(Minibatching.batchRanges(count: 0, batchSize: 4).isEmpty)
        let batches = Minibatching.shuffledBatches(of: train, batchSize: 3, using: &g)
        #expect(batches.map(\.count) == [3, 3, 1] && batches.joined().sorted() == train)
        #expect(Minibatching.gatherRows([1, 2, 3, 4, 5, 6], rowWidth: 2, indices: [2, 0]) == [5, 6, 1, 2])
    }
}
