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

    func run() throws {
        try reportingErrors {
            let session = try TrainingSession.load(from: URL(fileURLWithPath: model))
            var features = try readFeatures()
            guard features.shape[1] == session.specification.inputSize else {
                throw ValidationError("\(input) has \(features.shape[1]) features per example, the model takes \(session.specification.inputSize)")
            }
            if let standardizer = session.standardizer {
                features = Tensor(shape: features.shape, scalars: standardizer.transform(features.scalars))
            }
            let predictions = session.predictions(for: features)
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
            let columns = try CSV.readColumns(contentsOf: url) { header in
                guard let labelColumn else { return [] }
                guard let index = Int(labelColumn) ?? header.firstIndex(of: labelColumn), header.indices.contains(index) else {
                    throw ValidationError("\(input) has no column '\(labelColumn)'")
                }
                return [index]
            }
            return Tensor(shape: [columns.rowCount, columns.numericColumns.count], scalars: columns.numbers)
        }
        return try LabeledImages.features(ofImagesAt: url)   // the rule `train` and `evaluate` read images by
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a saved model: layers, shapes, parameter counts, training.")

    @Argument(help: "The model (a checkpoint written by `feedforward train --save`).")
    var model: String

    func run() throws {
        try reportingErrors {
            let session = try TrainingSession.load(from: URL(fileURLWithPath: model))
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
