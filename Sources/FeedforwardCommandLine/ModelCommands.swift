import ArgumentParser
import Feedforward
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a saved model on a dataset: a whole CSV file, or a split.",
        discussion: """
            A CSV file is evaluated whole by default (as Keras's model.evaluate or scikit-learn's score on \
            a test file), encoded and standardised with the statistics, classes and categories stored in \
            the model, never the file's own. --split test|validation|train picks the split the model was \
            trained with from its training file. Image datasets evaluate their test split by default.
            """)

    @Option(help: "The model: a checkpoint of `feedforward train --save`, or of the library's Trainer when it describes its network (Trainer.network).")
    var model: String

    @OptionGroup var data: DataOptions

    @Option(help: "What to evaluate: all (the whole file; the default for CSV), test (the default for images), validation or train.")
    var split: String?

    @Option(help: "The fraction of training data held out for validation (default: the one the model was trained with).")
    var validationFraction: Double?

    @Flag(help: "Print the metrics as one JSON object on the last line of standard output.")
    var json = false

    func validate() throws {
        if let split, !["all", "test", "validation", "train"].contains(split) {
            throw ValidationError("--split must be all, test, validation or train, got '\(split)'")
        }
        if let validationFraction, !(0..<1).contains(validationFraction) {
            throw ValidationError("--validation-fraction must be in [0, 1), got \(validationFraction)")
        }
    }

    func run() throws {
        try reportingErrors {
            let session = try TrainingSession.loadForInference(from: URL(fileURLWithPath: model))
            let source = try data.source()
            let isTabular: Bool
            if case .csv = source { isTabular = true } else { isTabular = false }
            let split = self.split ?? (isTabular ? "all" : "test")
            let chosen: SupervisedDataset
            var warnings: [String] = []
            if case .csv(let path, _, _) = source, split == "all", let schema = session.schema {
                let encoded = try schema.encode(contentsOf: URL(fileURLWithPath: path), requiresTarget: true, path: path)
                for (column, count) in encoded.unseenCategories.sorted(by: { $0.key < $1.key }) {
                    warnings.append("\(path): \(count) value(s) in column \"\(column)\" are categories the training data did not have; they are encoded as all zeros")
                }
                chosen = encoded.dataset!
            } else {
                let splits = try DataSplits.load(
                    source, validationFraction: split == "all" ? 0 : validationFraction ?? session.options.validationFraction,
                    seed: session.options.seed, testFraction: split == "all" ? 0 : session.options.testFraction,
                    schema: session.schema)
                warnings = splits.warnings
                switch split {
                case "all":
                    guard isTabular else { throw ValidationError("--split all is for CSV files; use test, validation or train") }
                    chosen = splits.training
                case "train": chosen = splits.training
                case "validation":
                    guard let validation = splits.validation else { throw ValidationError("this dataset has no validation split") }
                    chosen = validation
                default: chosen = splits.test
                }
            }
            for warning in warnings { printError("warning: \(warning)") }
            guard chosen.count > 0 else {
                throw ValidationError("the \(split) split of this dataset is empty (the model was trained with test fraction \(session.options.testFraction) and validation fraction \(session.options.validationFraction)); evaluate a whole file with --split all")
            }
            try session.validate(chosen)
            let result = session.evaluate(on: chosen)
            print("\(split): " + result.figures.map { "\($0.0) \(format($0.1))" }.joined(separator: ", ") + " (\(result.count) examples)")
            try requireFinite(result.figures, split: split)
            let names = session.schema?.classNames ?? chosen.classNames
            for line in metricsReport(result, classNames: names) { print(line) }
            if json {
                var object: [String: Any] = ["split": split, "examples": result.count]
                object.merge(metricsJSON(result, classNames: names, prefix: "")) { $1 }
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            }
        }
    }
}

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict with a saved model for the rows of a CSV file or the images of an IDX file.",
        discussion: """
            A CSV file needs a header row. For a model trained on a CSV file, its columns are matched by \
            name to the training file's (a target column is ignored), categories are one-hot encoded, and \
            classes are printed by name (`alpha,0.995`), values in the target's units. An IDX file holds \
            images (idx3, plain or gzip). Predictions are printed, or written as CSV with --output.
            """)

    @Option(help: "The model: a checkpoint of `feedforward train --save`, or of the library's Trainer when it describes its network (Trainer.network).")
    var model: String

    @Option(help: "The input: a .csv file or an IDX image file.")
    var input: String

    @Option(help: "A CSV column to ignore (for example the label), by name or 0-based index.")
    var labelColumn: String?

    @Option(help: "Write predictions to this CSV file instead of standard output.")
    var output: String?

    func validate() throws {
        if labelColumn != nil && !input.lowercased().hasSuffix(".csv") {
            throw ValidationError("--label-column applies to CSV input only, and \(input) is read as an IDX file")
        }
    }

    /// Rows handed to the network at a time: features, activations and output text stay bounded
    /// (a chunk of 28x28 images is 3 MB of features) however many rows the input holds.
    static let rowsPerChunk = 1024

    func run() throws {
        try reportingErrors {
            try PathChecks.checkReadableFile(input, option: "--input")
            if let output { try PathChecks.checkWritableFile(output, option: "--output") }
            let session = try TrainingSession.loadForInference(from: URL(fileURLWithPath: model))
            let rows = try readInput(schema: session.schema)
            guard rows.featureCount == session.specification.inputSize else {
                throw ValidationError("\(input) has \(rows.featureCount) features per example, the model takes \(session.specification.inputSize)")
            }
            let destination = try PredictionOutput(path: output)
            let classNames = session.schema?.classNames ?? []
            let isClassifier = session.specification.output.isClassifier
            // Predicted values have one column per target.
            let header = isClassifier ? "class,probability"
                : session.specification.targetSize == 1 && session.schema != nil ? quotedIfNeeded(session.schema!.targetColumn)
                : (0..<session.specification.targetSize).map { "prediction\($0)" }.joined(separator: ",")
            if rows.rowCount == 0 { try destination.append(header + "\n") }
            for start in stride(from: 0, to: rows.rowCount, by: Self.rowsPerChunk) {
                let chunk = start..<Swift.min(start + Self.rowsPerChunk, rows.rowCount)
                let predictions = session.predictions(for: rows.features(rows: chunk))
                let predicted = predictions.scalars
                if let index = predicted.firstIndex(where: { !$0.isFinite }) {
                    throw ValidationError("the prediction for row \(start + index / Swift.max(1, predictions.shape[1]) + 1) of \(input) is \(predicted[index]): the network's outputs overflow on this input (check its scale)")
                }
                // Nothing is written before the first chunk's predictions are known to be finite.
                var lines = start == 0 ? header + "\n" : ""
                if isClassifier {
                    let probabilities = softmax(predictions, alongAxis: 1)
                    let classes = predictions.argmax(alongAxis: 1)
                    let width = probabilities.shape[1]
                    let values = probabilities.scalars
                    for (row, label) in classes.enumerated() {
                        let name = label < classNames.count ? quotedIfNeeded(classNames[label]) : String(label)
                        lines += "\(name),\(values[row * width + label])\n"
                    }
                } else {
                    let width = predictions.shape[1]
                    for row in 0..<predictions.shape[0] {
                        lines += (0..<width).map { "\(predicted[row * width + $0])" }.joined(separator: ",") + "\n"
                    }
                }
                try destination.append(lines)
            }
            try destination.finish()
            if let output { printError("wrote \(rows.rowCount) predictions to \(output)") }
        }
    }

    /// The rows of `--input`: IDX images as bytes, or a CSV file's features (encoded with `schema`,
    /// the model's, when it has one).
    func readInput(schema: TabularSchema?) throws -> PredictionInput {
        guard input.lowercased().hasSuffix(".csv") else {
            // The rule by which `train` and `evaluate` read images.
            let (pixels, count, pixelCount) = try LabeledImages.pixels(ofImagesAt: URL(fileURLWithPath: input))
            return .images(pixels: pixels, count: count, pixelCount: pixelCount)
        }
        return .features(try readFeatures(schema: schema))
    }

    /// The features of the CSV file `--input`.
    func readFeatures(schema: TabularSchema?) throws -> Tensor<Float> {
        let url = URL(fileURLWithPath: input)
        guard let schema else {
            let columns = try CSV.readColumns(contentsOf: url) { header in
                guard let labelColumn else { return [] }
                guard let index = Int(labelColumn) ?? header.firstIndex(of: labelColumn), header.indices.contains(index) else {
                    throw ValidationError("\(input) has no column '\(labelColumn)'")
                }
                return [index]
            }
            return Tensor(shape: [columns.rowCount, columns.numericColumns.count], scalars: columns.numbers)
        }
        let encoded: EncodedTable
        if let labelColumn, labelColumn != schema.targetColumn {
            // A column the model does not know, named to be left out: the table without it.
            var table = try CSV.readTable(contentsOf: url)
            guard let index = Int(labelColumn) ?? table.header.firstIndex(of: labelColumn), table.header.indices.contains(index) else {
                throw ValidationError("\(input) has no column '\(labelColumn)'")
            }
            table.header.remove(at: index)
            for row in table.rows.indices {
                table.rows[row].remove(at: index)
                table.fieldColumns[row].remove(at: index)
            }
            encoded = try schema.encode(table, requiresTarget: false, path: input)
        } else {
            encoded = try schema.encode(contentsOf: url, requiresTarget: false, path: input)
        }
        for (column, count) in encoded.unseenCategories.sorted(by: { $0.key < $1.key }) {
            printError("warning: \(input): \(count) value(s) in column \"\(column)\" are categories the training data did not have; they are encoded as all zeros")
        }
        return encoded.features
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a saved model: layers, shapes, parameter counts, training.",
        discussion: "Without a model: describe the compute setup (CPU, built-in kernel, BLAS library and core, "
            + "whether matrix products use BLAS and why, threads).")

    @Argument(help: "The model: a checkpoint of `feedforward train --save` or of the library's Trainer, or a parameter file; omit it to describe the compute setup.")
    var model: String?

    func run() throws {
        guard let model else {
            print(ComputeEnvironment.configuration)
            return
        }
        try reportingErrors {
            let session: TrainingSession
            switch try ModelFileContents.read(from: URL(fileURLWithPath: model)) {
            case .trainingSession(let decoded): session = decoded
            case let other: return printDescription(of: other)
            }
            let spec = session.specification
            print("model: \(describe(session))")
            print("output unit: \(spec.output), targets: \(spec.targetSize)")
            if let schema = session.schema {
                print("target column: \(schema.targetColumn)" + (schema.classNames.isEmpty ? "" : ", classes: \(schema.classNames.joined(separator: ", "))"))
                print("feature columns: " + schema.featureColumns.map { column in
                    if case .categorical(let categories, _) = column.encoding { return "\(column.name) (\(categories.count) categories)" }
                    return column.name
                }.joined(separator: ", ") + "; missing values: \(schema.missingValues.rawValue)")
            }
            let parameters = session.model.parameters
            let width = Swift.max(12, parameters.map(\.name.count).max() ?? 0)   // padding(toLength:) would cut longer names
            for (name, value) in parameters {
                print("  \(name.padding(toLength: width, withPad: " ", startingAt: 0)) \(value.shape) \(value.scalarCount) parameters")
            }
            print("trained: \(session.epoch) epochs, \(session.step) steps, optimizer \(session.options.optimizer.rawValue) (learning rate \(session.options.learningRate)), seed \(session.options.seed)")
            if let last = session.history.last {
                print("last epoch: " + describe(last, epochs: session.options.epochs))
            }
        }
    }
}

/// `field` as a CSV field: quoted (with doubled quotes) when it holds a comma, quote or line break.
func quotedIfNeeded(_ field: String) -> String {
    guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
