import Foundation
import Testing
@testable import Feedforward

@Suite("Data: CSV columns and numbers") struct DataCSVColumnsTests {
    /// Text that exercises the tokenizer: quotes, doubled quotes, CRLF, lone CR, blank lines, a BOM, Unicode.
    static let tricky = [0xEF, 0xBB, 0xBF] + Array("a,\"b\"\"q\",label\r\n1, 2.5 ,x\r\n\r\n\"3\",-4e-2,\"y,\"\"z\"\"\nw\"\r5,6,é\n\n7,8,\"\"\n".utf8)

    @Test func readsNumbersAndTextColumns() throws {
        let columns = try CSV.columns(from: Self.tricky, path: "t.csv") { _ in [2] }
        #expect(columns.header == ["a", "b\"q", "label"])
        #expect(columns.numericColumns == [0, 1])
        #expect(columns.numbers == [1, 2.5, 3, -0.04, 5, 6, 7, 8])
        #expect(columns.text == [2: ["x", "y,\"z\"\nw", "é", ""]])
        #expect(columns.lineNumbers == [2, 4, 6, 8])
        #expect(columns.lineNumbers == (try CSV.parse(Self.tricky)).lineNumbers)
    }

    /// Every block size gives the same result as reading from memory: records cut at any byte.
    @Test func blockBoundariesDoNotMatter() throws {
        let dir = try TemporaryDirectory()
        let url = try dir.file("t.csv", Self.tricky)
        let whole = try CSV.columns(from: Self.tricky, path: url.path) { _ in [2] }
        for blockSize in 1...Self.tricky.count + 1 {
            #expect(try CSV.readColumns(contentsOf: url, delimiter: ",", blockSize: blockSize) { _ in [2] } == whole,
                    "block size \(blockSize)")
        }
        let bad: [(String, DataError.Kind, DataError.Location)] = [
            ("a,b\n1,2\n3,4,5\n", .raggedRow, .lineColumn(line: 3, column: 5)),
            ("a,b\n1,\"open\n\n", .malformedQuotedField, .lineColumn(line: 2, column: 3)),
            ("a,b\n1,\"x\"y\n", .malformedQuotedField, .lineColumn(line: 2, column: 6)),
            ("a,b\n1,x\"y\n", .malformedQuotedField, .lineColumn(line: 2, column: 4)),
            ("a,b\r\n1,2\r\né,\u{FFFF}x\r\n3,no\n", .nonNumericValue, .lineColumn(line: 3, column: 1)),
            ("a,b\n1,2\r\r3,n/a\n", .nonNumericValue, .lineColumn(line: 4, column: 3)),
        ]
        for (text, kind, location) in bad {
            let file = try dir.file("bad.csv", Array(text.utf8))
            for blockSize in [1, 2, 3, 5, 8, 1 << 20] {
                let error = expectDataError(kind) { try CSV.readColumns(contentsOf: file, delimiter: ",", blockSize: blockSize) { _ in [] } }
                #expect(error?.location == location, "\(text.debugDescription) block \(blockSize)")
            }
        }
        let invalid = Array("a,b\n1,2\n3,".utf8) + [0xC3, 0x28] + Array("\n".utf8)
        let file = try dir.file("utf8.csv", invalid)
        for blockSize in [1, 2, 3, 7, 1 << 20] {
            let error = expectDataError(.invalidUTF8) { try CSV.readColumns(contentsOf: file, delimiter: ",", blockSize: blockSize) { _ in [] } }
            #expect(error?.location == .lineColumn(line: 3, column: 3))
        }
    }

    /// The fast decimal path agrees bit for bit with Float(_:) (strtof, correctly rounded).
    @Test func numbersMatchTheStandardParser() {
        var generator = SeededRandomNumberGenerator(seed: 16)
        var texts = ["0", "-0", "+1", "16777217", "16777219", "33554435", "0.1", "3.4028235e38", "1e-22", "9007199254740993",
                     "1.00000005960464477539062", "1.000000059604644775390625", "123456789012345678901", " 7 ", "\t-3.5e+2\t",
                     "1.", ".5", "1e", "1e+", "--1", "0x1p3", "inf", "nan", "1e39", "1,5", "", " ", "1 2", "١"]
        for _ in 0..<20_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
            guard value.isFinite else { continue }
            texts.append("\(value)")
            texts.append(String(format: "%.\(generator.nextInt(below: 12))g", Double(value)))
            texts.append(String(format: "%.\(generator.nextInt(below: 10))f", Double(value) / 1e30))
            texts.append(String(generator.next() >> UInt64(generator.nextInt(below: 64))))
        }
        for text in texts {
            let expected = NumberParsing.generalFloat(text)
            let actual = NumberParsing.float(text)
            #expect(actual?.bitPattern == expected?.bitPattern, "\(text.debugDescription): \(String(describing: actual)) vs \(String(describing: expected))")
        }
        #expect(NumberParsing.shortDecimal("16777217", count: 8) == nil)   // halfway: left to the exact path
        #expect(NumberParsing.float("16777217") == 16_777_216)
        #expect(NumberParsing.shortDecimal("0.1", count: 3) == 0.1)
    }

    @Test func readDatasetMatchesTheTablePath() throws {
        let dir = try TemporaryDirectory()
        var generator = SeededRandomNumberGenerator(seed: 7)
        var text = "x1,x2,x3,label\n"
        for row in 0..<500 {
            let values = (0..<3).map { _ in String(format: "%.6g", generator.nextDouble() * 200 - 100) }
            text += values.joined(separator: row % 7 == 0 ? " , " : ",") + ",\(["cat", "dog", "2"][row % 3])\n"
        }
        let url = try dir.file("d.csv", Array(text.utf8))
        for kind in [CSVTargetKind.classification(), .classification(order: .firstSeen)] {
            let fast = try CSV.readDataset(contentsOf: url, target: .last, kind: kind)
            let table = try CSV.dataset(from: CSV.parse(Array(text.utf8)), target: .last, kind: kind)
            #expect(fast == table)
        }
        let regression = try dir.file("r.csv", Array("a,b,y\n1,2,0.5\n3,4,-1\n".utf8))
        #expect(try CSV.readDataset(contentsOf: regression, target: .name("a"), kind: .regression)
                == TabularDataset(featureNames: ["b", "y"], features: [2, 0.5, 4, -1], targets: .values([1, 3])))
        let badTarget = try dir.file("bt.csv", Array("a,y\n1,2\n3,x\n".utf8))
        let error = expectDataError(.nonNumericValue) { try CSV.readDataset(contentsOf: badTarget, target: .last, kind: .regression) }
        #expect(error?.location == .lineColumn(line: 3, column: 3))
    }

    /// A CSV with a header and no records, or with the target column alone, cannot make a dataset.
    @Test func rejectsFilesWithoutRecordsOrFeatures() throws {
        let dir = try TemporaryDirectory()
        let headerOnly = try dir.file("h.csv", Array("a,b,c,label\n".utf8))
        let labelOnly = try dir.file("l.csv", Array("label\n1\n2\n".utf8))
        expectDataError(.emptyFile) { try CSV.readDataset(contentsOf: headerOnly, target: .last, kind: .classification()) }
        expectDataError(.emptyFile) { try CSV.dataset(from: CSV.parse(Array("a,b,c,label\n".utf8)), target: .last, kind: .regression) }
        expectDataError(.missingColumn) { try CSV.readDataset(contentsOf: labelOnly, target: .last, kind: .classification()) }
        expectDataError(.missingColumn) { try CSV.dataset(from: CSV.parse(Array("label\n1\n".utf8)), target: .last, kind: .regression) }
    }

    @Test func removesANumericColumnInPlace() throws {
        var columns = try CSV.columns(from: Array("a,b,c\n1,2,3\n4,5,6\n".utf8)) { _ in [] }
        #expect(columns.removeNumericColumn(1) == [2, 5])
        #expect(columns.numbers == [1, 3, 4, 6] && columns.numericColumns == [0, 2])
    }
}
