import Foundation

/// Where training data comes from, as the CLI names it.
public enum DataSource: Sendable, Equatable, CustomStringConvertible {
    /// Fashion-MNIST from a directory of IDX files, or where Debian's `dataset-fashion-mnist` puts it.
    case fashionMNIST(directory: String?)
    /// MNIST from a directory of IDX files.
    case mnist(directory: String)
    /// The Fashion-MNIST subset that ships with Feedforward (8000 training and 2000 test images).
    case bundled
    /// A CSV file with a header row and a label column.
    case csv(path: String, labelColumn: String?, regression: Bool)
    /// The four points of XOR, as two classes.
    case xor

    /// Parses `fashion-mnist`, `mnist`, `bundled`, `xor` or `csv:PATH` (directories come separately).
    public init?(name: String, directory: String? = nil, labelColumn: String? = nil, regression: Bool = false) {
        switch name.lowercased() {
        case "fashion-mnist", "fashion": self = .fashionMNIST(directory: directory)
        case "mnist":
            guard let directory else { return nil }
            self = .mnist(directory: directory)
        case "bundled": self = .bundled
        case "xor": self = .xor
        default:
            guard name.hasPrefix("csv:"), name.count > 4 else { return nil }
            self = .csv(path: String(name.dropFirst(4)), labelColumn: labelColumn, regression: regression)
        }
    }

    /// The default data: Fashion-MNIST if it is installed, else the bundled subset.
    public static var automatic: DataSource {
        FashionMNIST.defaultDirectory() != nil ? .fashionMNIST(directory: nil) : .bundled
    }

    public var description: String {
        switch self {
        case .fashionMNIST(let directory): return "Fashion-MNIST (\(directory ?? FashionMNIST.defaultDirectory()?.path ?? "not found"))"
        case .mnist(let directory): return "MNIST (\(directory))"
        case .bundled: return "bundled Fashion-MNIST subset"
        case .csv(let path, _, let regression): return "CSV \(path) (\(regression ? "regression" : "classification"))"
        case .xor: return "XOR"
        }
    }
}

/// Data split for training: training, validation (for early stopping and model selection) and test.
///
/// The datasets hold raw features; ``TrainingSession`` applies ``standardizer`` (and
/// ``targetStandardizer`` to regression targets) itself, so that the statistics of the training
/// split travel with the model.
public struct DataSplits: Sendable {
    /// The examples the network trains on.
    public var training: SupervisedDataset
    /// The examples held out for early stopping and model selection, when a validation fraction was given.
    public var validation: SupervisedDataset?
    /// The examples held out for the final evaluation (empty when a CSV file is used whole for
    /// training, with no test file).
    public var test: SupervisedDataset
    /// Feature standardisation fitted on the training split (tabular data only).
    public var standardizer: Standardizer?
    /// Target standardisation fitted on the training split (regression on tabular data only).
    public var targetStandardizer: Standardizer?
    /// How the CSV columns were encoded (tabular data only).
    public var schema: TabularSchema?
    /// Things the user should know about the encoding (categories the training file did not have).
    public var warnings: [String] = []

    /// Loads `source` and splits it reproducibly by `seed`. Image sets keep their own test split.
    ///
    /// A CSV file is split into train and test by `testFraction` unless a separate `testFile` is
    /// given; validation comes out of the training part by `validationFraction` unless a separate
    /// `validationFile` is given. The ``TabularSchema`` (classes, categories, fill values) is fitted
    /// on the training file (fill values on the training rows), or `schema` is used when given (a
    /// trained model's), and every other file is encoded with it, columns matched by name.
    /// - Throws: `DataError` for unreadable files or values (with file, line and column),
    ///   `TrainingError.incompatibleData` when the split leaves no training rows.
    public static func load(
        _ source: DataSource, validationFraction: Double, seed: UInt64, testFraction: Double = 0.2,
        testFile: String? = nil, validationFile: String? = nil, missingValues: MissingValueStrategy = .error,
        schema: TabularSchema? = nil
    ) throws -> DataSplits {
        var generator = SeededRandomNumberGenerator(seed: seed ^ 0x5EED_DA7A)
        func split(_ data: SupervisedDataset, fraction: Double) -> (SupervisedDataset, SupervisedDataset?) {
            guard fraction > 0, data.count >= 2 else { return (data, nil) }
            let (train, held) = Minibatching.trainValidationSplit(count: data.count, validationFraction: fraction, using: &generator)
            return held.isEmpty ? (data, nil) : (data.subset(train), data.subset(held))
        }
        // With a validation fraction, both the validation and the training part must keep an example.
        func validationSplit(_ data: SupervisedDataset) throws(TrainingError) -> (SupervisedDataset, SupervisedDataset?) {
            let (training, validation) = split(data, fraction: validationFraction)
            if validationFraction > 0 && (validation == nil || training.count == 0) {
                throw .incompatibleData(
                    "\(source): \(data.count) training examples are too few to hold out a validation fraction of \(validationFraction) and keep some to train on")
            }
            return (training, validation)
        }
        /// `rows` split in two by `fraction`, or kept whole.
        func split(_ rows: [Int], fraction: Double) -> (kept: [Int], held: [Int]) {
            guard fraction > 0, rows.count >= 2 else { return (rows, []) }
            let (kept, held) = Minibatching.trainValidationSplit(count: rows.count, validationFraction: fraction, using: &generator)
            return (kept.map { rows[$0] }, held.map { rows[$0] })
        }
        switch source {
        case .fashionMNIST, .mnist, .bundled:
            let images: ImageClassificationData
            switch source {
            case .fashionMNIST(let directory): images = try FashionMNIST.load(from: directory.map { URL(fileURLWithPath: $0) })
            case .mnist(let directory): images = try MNIST.load(from: URL(fileURLWithPath: directory))
            default: images = try FashionMNIST.loadBundledSubset()
            }
            let (training, validation) = try validationSplit(SupervisedDataset(images.train, classNames: images.classNames))
            return DataSplits(
                training: training, validation: validation,
                test: SupervisedDataset(images.test, classNames: images.classNames), standardizer: nil)
        case .csv(let path, let labelColumn, let regression):
            let targetColumn: CSVColumn = labelColumn.map { Int($0).map(CSVColumn.index) ?? .name($0) } ?? .last
            var file = try TabularFile(contentsOf: URL(fileURLWithPath: path), path: path, target: schema.map { .name($0.targetColumn) } ?? targetColumn)
            let rowCount = file.rowCount
            guard rowCount > 0 else {
                throw TrainingError.incompatibleData("\(path) has a header but no data rows")
            }
            if rowCount == 1, schema == nil {
                // One row cannot be split: a table that could not train anyway says why first.
                let schema = try file.fitSchema(target: targetColumn, regression: regression, missingValues: missingValues, statisticsRows: [0])
                try checkUsable(schema, rowCount: rowCount, path: path, labelColumn: labelColumn)
            }
            // A test fraction holds out at least one row, never shared with training.
            let testShare = testFile == nil && testFraction > 0 ? Swift.max(testFraction, 1 / Double(rowCount)) : 0
            let (rest, testRows) = split(Array(0..<rowCount), fraction: testShare)
            if testShare > 0 && (testRows.isEmpty || rest.isEmpty) {
                throw TrainingError.incompatibleData(
                    "\(path) has \(rowCount) data row\(rowCount == 1 ? "" : "s"): at least 2 are needed, one to train on and one to test on")
            }
            let validationShare = validationFile == nil ? validationFraction : 0
            let (trainingRows, validationRows) = split(rest, fraction: validationShare)
            if validationShare > 0 && (validationRows.isEmpty || trainingRows.isEmpty) {
                throw TrainingError.incompatibleData(
                    "\(path): \(rest.count) training rows are too few to hold out a validation fraction of \(validationFraction) and keep some to train on")
            }
            guard !trainingRows.isEmpty else {
                throw TrainingError.incompatibleData("\(path) leaves no rows for training (\(rowCount) rows)")
            }
            let schema = try schema ?? file.fitSchema(
                target: targetColumn, regression: regression, missingValues: missingValues, statisticsRows: trainingRows)
            guard schema.featureCount > 0 else {
                throw TrainingError.incompatibleData("\(path) has no feature columns besides the target \"\(schema.targetColumn)\"")
            }
            var warnings: [String] = []
            func warn(_ unseenCategories: [String: Int], path: String) {
                for (column, count) in unseenCategories.sorted(by: { $0.key < $1.key }) {
                    warnings.append("\(path): \(count) value(s) in column \"\(column)\" are categories the training data did not have; they are encoded as all zeros")
                }
            }
            func encodeFile(_ path: String) throws -> SupervisedDataset {
                let encoded = try schema.encode(contentsOf: URL(fileURLWithPath: path), requiresTarget: true, path: path)
                warn(encoded.unseenCategories, path: path)
                return encoded.dataset!
            }
            let encoded = try file.encode(with: schema, requiresTarget: true, splits: [trainingRows, validationRows, testRows])
            warn(encoded.unseenCategories, path: path)
            try checkUsable(schema, rowCount: rowCount, path: path, labelColumn: labelColumn)
            let training = encoded.splits[0].dataset!
            let validation = try validationFile.map(encodeFile) ?? (validationRows.isEmpty ? nil : encoded.splits[1].dataset!)
            let test = try testFile.map(encodeFile) ?? encoded.splits[2].dataset!
            let standardizer = training.features.withUnsafeBufferPointer {
                Standardizer(fitting: $0, featureCount: training.featureCount)
            }
            var targetStandardizer: Standardizer?
            if case .values(let values) = training.targets {
                targetStandardizer = Standardizer(fitting: values.scalars, featureCount: values.shape[1])
            }
            return DataSplits(
                training: training, validation: validation, test: test, standardizer: standardizer,
                targetStandardizer: targetStandardizer, schema: schema, warnings: warnings)
        case .xor:
            guard validationFraction == 0 else {
                throw TrainingError.incompatibleData("XOR trains and tests on its 4 points: it has no validation split (validation fraction \(validationFraction))")
            }
            let data = SupervisedDataset(BuiltinData.xor(asClasses: true))
            return DataSplits(training: data, validation: nil, test: data, standardizer: nil)
        }
    }

    /// Throws when a table encoded by `schema` cannot train a network: no rows, no feature columns,
    /// or fewer than two classes.
    static func checkUsable(_ schema: TabularSchema, rowCount: Int, path: String, labelColumn: String?) throws(TrainingError) {
        let featureCount = schema.featureCount
        var classCount: Int?
        if case .classes(let names) = schema.target { classCount = names.count }
        let label = labelColumn.map { "label column '\($0)'" } ?? "the label column (the last)"
        guard rowCount > 0 else {
            throw .incompatibleData("\(path) has a header but no data rows")
        }
        guard featureCount > 0 else {
            throw .incompatibleData("\(path) has no feature columns: its only column is \(label)")
        }
        if let classCount, classCount < 2 {
            throw .incompatibleData("\(path) has \(classCount) class in \(label): a classifier needs at least 2 (or read the column as real values, for regression)")
        }
    }
}
