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
public struct DataSplits: Sendable {
    /// The examples the network trains on.
    public var training: SupervisedDataset
    /// The examples held out for early stopping and model selection, when a validation fraction was given.
    public var validation: SupervisedDataset?
    /// The examples held out for the final evaluation.
    public var test: SupervisedDataset
    /// Standardisation fitted on the training split (tabular data only).
    public var standardizer: Standardizer?

    /// Loads `source` and splits it reproducibly by `seed`. Image sets keep their own test split; a
    /// CSV file is split 80/20 into train and test first. Validation comes out of the training part.
    public static func load(_ source: DataSource, validationFraction: Double, seed: UInt64) throws -> DataSplits {
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
            let column: CSVColumn = labelColumn.map { Int($0).map(CSVColumn.index) ?? .name($0) } ?? .last
            let table = try CSV.readDataset(
                contentsOf: URL(fileURLWithPath: path), target: column,
                kind: regression ? .regression : .classification())
            let all = SupervisedDataset(table)
            try checkUsable(all, path: path, labelColumn: labelColumn)
            // A fifth of the rows (at least one) is the test split, never shared with training.
            let (rest, held) = split(all, fraction: Swift.max(0.2, 1 / Double(all.count)))
            guard let test = held else {
                throw TrainingError.incompatibleData("\(path) has \(all.count) data rows: at least 2 are needed, one to train on and one to test on")
            }
            let (training, validation) = try validationSplit(rest)
            let standardizer = Standardizer(fitting: training.features.scalars, featureCount: training.featureCount)
            return DataSplits(
                training: training.standardized(by: standardizer), validation: validation?.standardized(by: standardizer),
                test: test.standardized(by: standardizer), standardizer: standardizer)
        case .xor:
            guard validationFraction == 0 else {
                throw TrainingError.incompatibleData("XOR trains and tests on its 4 points: it has no validation split (validation fraction \(validationFraction))")
            }
            let data = SupervisedDataset(BuiltinData.xor(asClasses: true))
            return DataSplits(training: data, validation: nil, test: data, standardizer: nil)
        }
    }

    /// Throws when a table cannot train a network: no rows, no feature columns, or fewer than two classes.
    static func checkUsable(_ data: SupervisedDataset, path: String, labelColumn: String?) throws(TrainingError) {
        let label = labelColumn.map { "label column '\($0)'" } ?? "the label column (the last)"
        guard data.count > 0 else {
            throw .incompatibleData("\(path) has a header but no data rows")
        }
        guard data.featureCount > 0 else {
            throw .incompatibleData("\(path) has no feature columns: its only column is \(label)")
        }
        if case .classes(_, let classCount) = data.targets, classCount < 2 {
            throw .incompatibleData("\(path) has \(classCount) class in \(label): a classifier needs at least 2 (or read the column as real values, for regression)")
        }
    }
}
