import Foundation
import Testing
@testable import Feedforward

@Suite struct TabularSchemaTests {
    static func table(_ text: String) throws -> CSVTable { try CSV.parse(Array(text.utf8), path: "t.csv") }

    static let training = """
        size,color,weight,label
        1.5,red,10,beta
        2.5,blue,20,alpha
        3.5,red,30,gamma
        4.5,green,40,beta

        """

    @Test func stringLabelsAndCategoriesAreEncodedAndNamed() throws {
        let schema = try TabularSchema(fitting: Self.table(Self.training), target: .name("label"), regression: false)
        #expect(schema.classNames == ["alpha", "beta", "gamma"])
        #expect(schema.featureNames == ["size", "color=blue", "color=green", "color=red", "weight"])
        let encoded = try schema.encode(Self.table(Self.training), requiresTarget: true)
        #expect(encoded.features.scalars == [
            1.5, 0, 0, 1, 10,
            2.5, 1, 0, 0, 20,
            3.5, 0, 0, 1, 30,
            4.5, 0, 1, 0, 40,
        ])
        #expect(encoded.targets == .classes([1, 0, 2, 1], classCount: 3))
    }

    @Test func aTestFileIsEncodedWithTheTrainingSchema() throws {
        let schema = try TabularSchema(fitting: Self.table(Self.training), target: .name("label"), regression: false)
        // Columns in another order, only one class present, a category the training file lacked.
        let test = try Self.table("label,weight,color,size\ngamma,5,purple,1\ngamma,6,blue,2\n")
        let encoded = try schema.encode(test, requiresTarget: true)
        #expect(encoded.targets == .classes([2, 2], classCount: 3))
        #expect(encoded.features.scalars == [1, 0, 0, 0, 5, 2, 1, 0, 0, 6])
        #expect(encoded.unseenCategories == ["color": 1])
    }

    @Test func anUnknownClassOrColumnIsAnErrorThatSaysWhere() throws {
        let schema = try TabularSchema(fitting: Self.table(Self.training), target: .name("label"), regression: false)
        #expect {
            try schema.encode(Self.table("size,color,weight,label\n1,red,2,beta\n1,red,2,delta\n"), requiresTarget: true)
        } throws: { error in
            let error = error as? DataError
            return error?.kind == .labelOutOfRange && error?.location == .lineColumn(line: 3, column: 9)
                && error!.description.contains("delta")
        }
        #expect {
            try schema.encode(Self.table("size,colour,weight\n1,red,2\n"), requiresTarget: false)
        } throws: { error in
            (error as? DataError)?.kind == .missingColumn && "\(error)".contains("color")
        }
        #expect {
            try schema.encode(Self.table("size,color,weight,label\n1,red,x,beta\n"), requiresTarget: true)
        } throws: { error in
            (error as? DataError)?.kind == .nonNumericValue && (error as? DataError)?.location == .lineColumn(line: 2, column: 7)
        }
    }

    @Test func predictionInputsMayLackOrIgnoreTheTarget() throws {
        let schema = try TabularSchema(fitting: Self.table(Self.training), target: .name("label"), regression: false)
        let without = try schema.encode(Self.table("size,color,weight\n1,red,2\n"), requiresTarget: false)
        let with = try schema.encode(Self.table("size,color,weight,label\n1,red,2,unknown\n"), requiresTarget: false)
        #expect(without.features == with.features && without.targets == nil && with.targets == nil)
    }

    static let gaps = """
        a,b,kind,y
        1,NA,x,0
        3,4,,1
        ?,8,y,0
        5,6,x,1
        7,10,NaN,0

        """

    @Test func missingValuesAreAnErrorNamingRowAndColumnByDefault() throws {
        #expect {
            try TabularSchema(fitting: Self.table(Self.gaps), target: .name("y"), regression: false, path: "gaps.csv")
        } throws: { error in
            let error = error as? DataError
            return error?.kind == .missingValue && error?.location == .lineColumn(line: 4, column: 1)
                && error!.description.contains("column \"a\"") && error!.description.contains("--impute")
        }
    }

    @Test func imputationFillsWithTrainingStatistics() throws {
        let table = try Self.table(Self.gaps)
        let mean = try TabularSchema(fitting: table, target: .name("y"), regression: false, missingValues: .mean)
        #expect(mean.featureColumns[0].encoding == .numeric(fill: 4))     // (1 + 3 + 5 + 7) / 4
        #expect(mean.featureColumns[1].encoding == .numeric(fill: 7))     // (4 + 8 + 6 + 10) / 4
        #expect(mean.featureColumns[2].encoding == .categorical(categories: ["x", "y"], fill: "x"))
        let median = try TabularSchema(fitting: table, target: .name("y"), regression: false, missingValues: .median)
        #expect(median.featureColumns[1].encoding == .numeric(fill: 7))   // (6 + 8) / 2
        // Statistics from the training rows only.
        let firstRows = try TabularSchema(
            fitting: table, target: .name("y"), regression: false, missingValues: .median, statisticsRows: [0, 1])
        #expect(firstRows.featureColumns[0].encoding == .numeric(fill: 2))
        let encoded = try mean.encode(table, requiresTarget: true)
        #expect(encoded.features.scalars[0..<4] == [1, 7, 1, 0])
        #expect(encoded.features.scalars[4..<8] == [3, 4, 1, 0])          // a missing category becomes "x"
    }

    @Test func aMissingTargetIsAlwaysAnError() throws {
        #expect(throws: DataError.self) {
            try TabularSchema(fitting: Self.table("a,y\n1,2\n2,\n"), target: .name("y"), regression: true, missingValues: .mean)
        }
    }

    @Test func aFirstRowOfNumbersIsRefusedAsAHeader() throws {
        #expect {
            try TabularSchema(fitting: Self.table("1,2,0\n3,4,1\n"), target: .last, regression: false)
        } throws: { error in
            (error as? DataError)?.kind == .invalidHeader && "\(error)".contains("header")
        }
    }

    @Test func numericClassLabelsSortAsNumbers() throws {
        let schema = try TabularSchema(fitting: Self.table("a,y\n1,10\n2,2\n3,1\n"), target: .name("y"), regression: false)
        #expect(schema.classNames == ["1", "2", "10"])
    }

    @Test func csvSplitsUseATestFileWholeAndEncodeItWithTheTrainingSchema() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = directory.appendingPathComponent("train.csv"), test = directory.appendingPathComponent("test.csv")
        try Self.training.write(to: train, atomically: true, encoding: .utf8)
        try "label,size,weight,color\nalpha,100,5,red\n".write(to: test, atomically: true, encoding: .utf8)
        let splits = try DataSplits.load(
            .csv(path: train.path, labelColumn: "label", regression: false), validationFraction: 0, seed: 1,
            testFile: test.path)
        #expect(splits.training.count == 4 && splits.test.count == 1)
        #expect(splits.test.targets == .classes([0], classCount: 3))
        #expect(splits.test.features.scalars == [100, 0, 0, 1, 5])                 // raw, in training column order
        #expect(splits.standardizer!.mean[0] == 3)                                  // from the training file only
        let split = try DataSplits.load(
            .csv(path: train.path, labelColumn: "label", regression: false), validationFraction: 0, seed: 1, testFraction: 0.5)
        #expect(split.training.count == 2 && split.test.count == 2)
    }
}
