import Foundation
import Testing
@testable import Feedforward

/// `TabularFile` streams numeric files and must fit and encode exactly as the table of strings does.
@Suite struct TabularFileTests {
    /// A numeric file: integers, decimals, spaces and exponents, the target in the middle.
    static let numeric = """
        a,b,label,c
        1, 2.5,10,-3e2
        4,5, 2,6
        7.25,8,10,9
        -1,0,2,0.125
        3,3,7,3
        """

    /// The table path's schema and encoding of `text`, for the same statistics rows and splits.
    static func byTable(_ text: String, target: CSVColumn, regression: Bool, missingValues: MissingValueStrategy,
                        statisticsRows: [Int], splits: [[Int]]) throws -> (TabularSchema, [EncodedTable]) {
        let table = try CSV.parse(Array(text.utf8), path: "t.csv")
        let schema = try TabularSchema(fitting: table, target: target, regression: regression, missingValues: missingValues,
                                       statisticsRows: statisticsRows, path: "t.csv")
        let all = try schema.encode(table, requiresTarget: true, path: "t.csv")
        return (schema, splits.map {
            EncodedTable(features: all.features.gatheringRows($0), targets: all.targets?.gathering($0),
                         classNames: all.classNames, unseenCategories: [:])
        })
    }

    @Test(arguments: [(false, MissingValueStrategy.error), (true, .mean), (false, .median)])
    func numericFilesAreStreamedAndEncodedAsTheTableIs(regression: Bool, missingValues: MissingValueStrategy) throws {
        let directory = try TemporaryDirectory()
        let url = try directory.file("t.csv", Array(Self.numeric.utf8))
        var file = try TabularFile(contentsOf: url, path: "t.csv", target: .name("label"))
        #expect(file.isStreamed && file.rowCount == 5)
        let statisticsRows = [4, 0, 2], splits = [[4, 0, 2], [], [3, 1]]
        let schema = try file.fitSchema(target: .name("label"), regression: regression, missingValues: missingValues,
                                        statisticsRows: statisticsRows)
        #expect(file.isStreamed)
        let encoded = try file.encode(with: schema, requiresTarget: true, splits: splits)
        let (expectedSchema, expected) = try Self.byTable(Self.numeric, target: .name("label"), regression: regression,
                                                          missingValues: missingValues, statisticsRows: statisticsRows, splits: splits)
        #expect(schema == expectedSchema)
        #expect(encoded.splits.map(\.features) == expected.map(\.features))
        #expect(encoded.splits.map(\.targets) == expected.map(\.targets))
        #expect(encoded.unseenCategories.isEmpty)
    }

    /// A stored schema encodes a file with its columns in another order, by name.
    @Test func aStoredSchemaFindsColumnsByName() throws {
        let directory = try TemporaryDirectory()
        let training = try directory.file("train.csv", Array(Self.numeric.utf8))
        let shuffled = try directory.file("test.csv", Array("c,label,a,b\n1,2,3,4\n5,10,7,8\n".utf8))
        let schema = try DataSplits.load(.csv(path: training.path, labelColumn: "label", regression: false),
                                         validationFraction: 0, seed: 1).schema!
        let encoded = try schema.encode(contentsOf: shuffled, requiresTarget: true)
        #expect(encoded.features == Tensor(shape: [2, 3], scalars: [3, 4, 1, 7, 8, 5]))
        #expect(encoded.targets == .classes([0, 2], classCount: 3))
        let unlabelled = try schema.encode(contentsOf: try directory.file("x.csv", Array("b,a,c\n1,2,3\n".utf8)), requiresTarget: false)
        #expect(unlabelled.features == Tensor(shape: [1, 3], scalars: [2, 1, 3]) && unlabelled.targets == nil)
    }

    /// Files the streaming reader cannot take alone: the table decides, with the same result or error.
    @Test(arguments: [
        "a,b,label\n1,red,x\n2,blue,y\n",          // a categorical column
        "a,b,label\n1,NA,x\n2,3,y\n",              // a missing value
        "a,b,label\n1,2,\n2,3,y\n",                // a missing target
        "1,2,3\n4,5,6\n",                          // a header of numbers
        "a,a,label\n1,2,x\n3,4,y\n",               // a name twice
        "a,b,label\n1,\"2\"\"\",x\n2,3,y\n",       // a doubled quote
        "a,b,label\n1,2,x\n2,3\n",                 // a ragged row
        "a,b,y\n1,2,x\n",                          // no column "label"
    ])
    func otherFilesBehaveAsTheirTable(text: String) throws {
        let directory = try TemporaryDirectory()
        let url = try directory.file("t.csv", Array(text.utf8))
        func streamed() throws -> (TabularSchema, [EncodedTable]) {
            var file = try TabularFile(contentsOf: url, path: "t.csv", target: .name("label"))
            let schema = try file.fitSchema(target: .name("label"), regression: false, missingValues: .mean, statisticsRows: [0])
            return (schema, try file.encode(with: schema, requiresTarget: true, splits: [[0], [1]]).splits)
        }
        func tabled() throws -> (TabularSchema, [EncodedTable]) {
            try Self.byTable(text, target: .name("label"), regression: false, missingValues: .mean, statisticsRows: [0], splits: [[0], [1]])
        }
        switch (Result { try streamed() }, Result { try tabled() }) {
        case (.success(let (schema, encoded)), .success(let (expectedSchema, expected))):
            #expect(schema == expectedSchema)
            #expect(encoded.map(\.features) == expected.map(\.features) && encoded.map(\.targets) == expected.map(\.targets))
        case (.failure(let error), .failure(let expected)):
            #expect("\(error)".replacingOccurrences(of: url.path, with: "t.csv") == "\(expected)")
        case (let got, let expected):
            Issue.record("streamed \(got), table \(expected)")
        }
    }

    /// Rows arranged in place land where the order says; a copy that gives pages back copies every value.
    @Test func rowsAreArrangedInPlaceAndMovedWhole() {
        let order = [3, 0, 4, 1, 2, 5]
        var matrix = (0..<12).map(Float.init)   // 6 rows of 2
        matrix.withUnsafeMutableBufferPointer { RowArrangement(order, rowCount: 6)!.arrange($0.baseAddress!, rowLength: 2) }
        #expect(matrix == order.flatMap { [Float(2 * $0), Float(2 * $0 + 1)] })
        #expect(RowArrangement([0, 0, 1], rowCount: 3) == nil && RowArrangement([0, 1], rowCount: 3) == nil)

        let count = 3 * MemoryRelease.chunkBytes / 4 + 1234
        var source = (0..<count).map { Float($0 % 9973) }
        let expected = source
        var destination = [Float](repeating: -1, count: count)
        source.withUnsafeMutableBufferPointer { from in
            destination.withUnsafeMutableBufferPointer { MemoryRelease.move(from: from.baseAddress!, to: $0.baseAddress!, count: count) }
        }
        #expect(destination == expected)
    }
}
