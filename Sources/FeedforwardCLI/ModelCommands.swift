import ArgumentParser
import Feedforward
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a saved model on a dataset's test split (or another split).")

    @Option(help: "The model (a checkpoint written by `feedforward train --save`).")
    var model: String

    @OptionGroup var data: DataOptions

    @Option(help: "Which split to evaluate: test, validation or train.")
    var split = "test"

    @Option(help: "The fraction of training data held out for validation (default: the one the model was trained with).")
    var validationFraction: Double?

    @Flag(help: "Print the metrics as one JSON object on the last line of standard output.")
    var json = false

    func validate() throws {
        guard ["test", "validation", "train"].contains(split) else {
            throw ValidationError("--split must be test, validation or train, got '\(split)'")
        }
        if let validationFraction, !(0..<1).contains(validationFraction) {
            throw ValidationError("--validation-fraction must be in [0, 1), got \(validationFraction)")
        }
    }

    func run() throws {
        try reportingErrors {
            let session = try TrainingSession.load(from: URL(fileURLWithPath: model))
            let splits = try DataSplits.load(
                try data.source(), validationFraction: validationFraction ?? session.options.validationFraction,
                seed: session.options.seed)
            let chosen: SupervisedDataset
            switch split {
            case "train": chosen = splits.training
            case "validation":
                guard let validation = splits.validation else { throw ValidationError("this dataset has no validation split") }
                chosen = validation
            default: chosen = splits.test
            }
            try session.validate(chosen)
            let result = session.evaluate(on: chosen)
            print("\(split): " + result.figures.map { "\($0.0) \(format($0.1))" }.joined(separator: ", ") + " (\(result.count) examples)")
            try requireFinite(result.figures, split: split)
            if let matrix = result.classification?.confusionMatrix, matrix.count <= 20 {
                print("confusion matrix (rows: true class, columns: predicted):")
                for (index, row) in matrix.enumerated() {
                    let name = index < chosen.classNames.count ? chosen.classNames[index] : String(index)
                    print(name.padding(toLength: 12, withPad: " ", startingAt: 0) + row.map { String(format: "%6d", $0) }.joined())
                }
            }
            if json {
                var object: [String: Any] = ["split": split, "examples": result.count]
                for (name, value) in result.figures { object[name] = value }
                if let matrix = result.classification?.confusionMatrix { object["confusion_matrix"] = matrix }
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            }
        }
    }
}

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predict with a saved model for the rows of a CSV file or the images of an IDX file.",
        discussion: """
            A CSV file needs a header row and the model's number of feature columns (name a label column \
            to leave out with --label-column). An IDX file holds images (idx3, plain or gzip). Predictions \
            are printed, or written as CSV with --output.
            """)

    @Option(help: "The model (a checkpoint written by `feedforward train --save`).")
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

    func run() throws {
        try reportingErrors {
            try PathChecks.checkReadableFile(input, option: "--input")
            if let output { try PathChecks.checkWritableFile(output, option: "--output") }
            let session = try TrainingSession.load(from: URL(fileURLWithPath: model))
            var features = try readFeatures()
            guard features.shape[1] == session.specification.inputSize else {
                throw ValidationError("\(input) has \(features.shape[1]) features per example, the model takes \(session.specification.inputSize)")
            }
            if let standardizer = session.standardizer {
                features = Tensor(shape: features.shape, scalars: standardizer.transform(features.scalars))
            }
            let predictions = session.predictions(for: features)
            if let index = predictions.scalars.firstIndex(where: { !$0.isFinite }) {
                throw ValidationError("the prediction for row \(index / Swift.max(1, predictions.shape[1]) + 1) of \(input) is \(predictions.scalars[index]): the network's outputs overflow on this input (check its scale)")
            }
            var lines: [String]
            if session.specification.output.isClassifier {
                let probabilities = softmax(predictions, alongAxis: 1)
                let classes = predictions.argmax(alongAxis: 1)
                let width = probabilities.shape[1]
                let values = probabilities.scalars
                lines = ["class,probability"]
                for (row, label) in classes.enumerated() {
                    lines.append("\(label),\(values[row * width + label])")
                }
            } else {
                let width = predictions.shape[1]
                let values = predictions.scalars
                lines = [(0..<width).map { "prediction\($0)" }.joined(separator: ",")]
                for row in 0..<predictions.shape[0] {
                    lines.append((0..<width).map { "\(values[row * width + $0])" }.joined(separator: ","))
                }
            }
            let text = lines.joined(separator: "\n") + "\n"
            if let output {
                try text.write(to: URL(fileURLWithPath: output), atomically: true, encoding: .utf8)
                printError("wrote \(lines.count - 1) predictions to \(output)")
            } else {
                print(text, terminator: "")
            }
        }
    }

    func readFeatures() throws -> Tensor<Float> {
        let url = URL(fileURLWithPath: input)
        if input.lowercased().hasSuffix(".csv") {
            let table = try CSV.parse(Array(try Data(contentsOf: url)), path: input)
            var keep = Array(table.header.indices)
            if let labelColumn {
                guard let index = Int(labelColumn) ?? table.header.firstIndex(of: labelColumn), keep.contains(index) else {
                    throw ValidationError("\(input) has no column '\(labelColumn)'")
                }
                keep.remove(at: index)
            }
            var values: [Float] = []
            values.reserveCapacity(table.rows.count * keep.count)
            for (rowIndex, row) in table.rows.enumerated() {
                for column in keep {
                    guard let value = Float(row[column].trimmingCharacters(in: .whitespaces)), value.isFinite else {
                        throw ValidationError("\(input):\(table.lineNumbers[rowIndex]): column '\(table.header[column])' holds '\(row[column])', not a number")
                    }
                    values.append(value)
                }
            }
            return Tensor(shape: [table.rows.count, keep.count], scalars: values)
        }
        let images = try IDX.read(contentsOf: url)
        guard images.shape.count >= 2 else {
            throw ValidationError("\(input) holds an array of shape \(images.shape), not images")
        }
        let pixels = images.shape.dropFirst().reduce(1, *)
        let scale: Float = images.dataType == .uint8 ? 1 / 255 : 1
        return Tensor(shape: [images.shape[0], pixels], scalars: images.floats().map { $0 * scale })
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
            for (name, value) in session.model.parameters {
                print("  \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(value.shape) \(value.scalarCount) parameters")
            }
            print("trained: \(session.epoch) epochs, \(session.step) steps, optimizer \(session.options.optimizer.rawValue) (learning rate \(session.options.learningRate)), seed \(session.options.seed)")
            if let last = session.history.last {
                print("last epoch: " + describe(last, epochs: session.options.epochs))
            }
        }
    }
}
