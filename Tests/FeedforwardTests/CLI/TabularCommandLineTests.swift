import Foundation
import Testing
@testable import Feedforward

/// The CLI on CSV files as users have them: string classes, a categorical column, unscaled features,
/// separate train and test files.
@Suite(.serialized) struct TabularCommandLineTests {
    /// Rows of `f0,f1,f2,colour,label` with labels alpha/beta/gamma and features on scales far from 1.
    static func rows(count: Int, seed: UInt64, transform: (Float) -> Float = { $0 }) -> String {
        var generator = SeededRandomNumberGenerator(seed: seed)
        let noise = Tensor<Float>.randomNormal(shape: [count, 3], using: &generator).scalars
        let names = ["alpha", "beta", "gamma"], colours = ["red", "green", "blue"]
        var lines = ["f0,f1,f2,colour,label"]
        for row in 0..<count {
            let label = row % 3
            let centre: [Float] = [label == 0 ? 2 : 0, label == 1 ? 2 : 0, label == 2 ? 2 : 0]
            let scales: [Float] = [100, 10, 1000], offsets: [Float] = [500, -20, 3000]
            let features = (0..<3).map { transform((centre[$0] + noise[row * 3 + $0]) * scales[$0] + offsets[$0]) }
            let colour = row % 4 == 0 ? colours[(label + 1) % 3] : colours[label]
            lines.append(features.map { "\($0)" }.joined(separator: ",") + ",\(colour),\(names[label])")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func lastJSON(_ output: String) throws -> [String: Any] {
        let last = try #require(output.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
    }

    @Test func evaluateAndPredictUseTheTrainingStatisticsAndClassNames() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = directory.appendingPathComponent("train.csv").path
        let test = directory.appendingPathComponent("test.csv").path
        let shifted = directory.appendingPathComponent("shifted.csv").path
        let model = directory.appendingPathComponent("model.ckpt").path
        try Self.rows(count: 300, seed: 1).write(toFile: train, atomically: true, encoding: .utf8)
        try Self.rows(count: 90, seed: 2).write(toFile: test, atomically: true, encoding: .utf8)
        try Self.rows(count: 90, seed: 2, transform: { $0 * 10 + 100 }).write(toFile: shifted, atomically: true, encoding: .utf8)

        let trained = try FeedforwardExecutable.run([
            "train", "--dataset", "csv:\(train)", "--test-dataset", "csv:\(test)", "--label-column", "label",
            "--epochs", "40", "--save", model, "--json",
        ])
        #expect(trained.status == 0, "\(trained.error)")
        let trainFigures = try Self.lastJSON(trained.output)
        #expect(trainFigures["test_examples"] as? Int == 90)
        #expect((trainFigures["test_accuracy"] as? Double ?? 0) > 0.8)
        #expect((trainFigures["test_per_class"] as? [[String: Any]])?.map { $0["class"] as? String } == ["alpha", "beta", "gamma"])
        #expect(trained.output.contains("precision") && trained.output.contains("confusion matrix"))

        // The whole test file is evaluated, with the training file's statistics: shifting it changes the figures.
        let evaluated = try FeedforwardExecutable.run(["evaluate", "--model", model, "--dataset", "csv:\(test)", "--json"])
        #expect(evaluated.status == 0, "\(evaluated.error)")
        let figures = try Self.lastJSON(evaluated.output)
        #expect(figures["examples"] as? Int == 90 && figures["split"] as? String == "all")
        #expect(figures["accuracy"] as? Double == trainFigures["test_accuracy"] as? Double)
        let moved = try Self.lastJSON(try FeedforwardExecutable.run(["evaluate", "--model", model, "--dataset", "csv:\(shifted)", "--json"]).output)
        #expect(moved["loss"] as? Double != figures["loss"] as? Double)

        // predict prints class names, and agrees exactly with TrainingSession.predictions of the raw rows.
        let predicted = try FeedforwardExecutable.run(["predict", "--model", model, "--input", test])
        #expect(predicted.status == 0, "\(predicted.error)")
        let lines = predicted.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",").map(String.init) }
        let session = try TrainingSession.load(from: URL(fileURLWithPath: model))
        let schema = try #require(session.schema)
        let encoded = try schema.encode(CSV.readTable(contentsOf: URL(fileURLWithPath: test)), requiresTarget: false)
        let probabilities = softmax(session.predictions(for: encoded.features), alongAxis: 1)
        let classes = probabilities.argmax(alongAxis: 1)
        #expect(lines.count == 90)
        for (row, line) in lines.enumerated() {
            #expect(line[0] == schema.classNames[classes[row]])
            #expect(Float(line[1]) == probabilities.scalars[row * 3 + classes[row]])
        }
    }

    @Test func regressionTargetsInTheHundredsTrainAtDefaultSettings() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var generator = SeededRandomNumberGenerator(seed: 4)
        let x = Tensor<Float>.randomNormal(shape: [400, 2], using: &generator).scalars
        var lines = ["a,b,price"]
        for row in 0..<400 {
            let price: Float = 300 + 90 * x[row * 2] - 40 * x[row * 2 + 1]
            lines.append("\(x[row * 2]),\(x[row * 2 + 1]),\(price)")
        }
        let train = directory.appendingPathComponent("prices.csv").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: train, atomically: true, encoding: .utf8)
        let model = directory.appendingPathComponent("prices.ckpt").path
        let trained = try FeedforwardExecutable.run([
            "train", "--dataset", "csv:\(train)", "--label-column", "price", "--regression", "--epochs", "60", "--save", model, "--json",
        ])
        #expect(trained.status == 0, "\(trained.error)")
        let figures = try Self.lastJSON(trained.output)
        #expect((figures["test_r2"] as? Double ?? 0) > 0.95)
        #expect(figures["test_rmse"] != nil && figures["test_mae"] != nil)
        let predicted = try FeedforwardExecutable.run(["predict", "--model", model, "--input", train])
        let values = predicted.output.split(separator: "\n").dropFirst().compactMap { Double($0) }
        #expect(predicted.output.hasPrefix("price\n") && values.count == 400)
        #expect(abs(values.reduce(0, +) / 400 - 300) < 20)
        // The defaults for values: a linear path beside the hidden layer, an L2 penalty from the row
        // count (320 training rows), reported apart from the train loss (the data loss).
        let penalty = TabularDefaults.weightDecay(trainingCount: 320, regression: true)
        #expect(trained.error.contains("L2 penalty") && trained.error.contains("not included"), "\(trained.error)")
        let info = try FeedforwardExecutable.run(["info", model])
        #expect(info.output.contains("linear path from the inputs"), "\(info.output)")
        #expect(info.output.split(separator: "\n").contains { $0.contains(" 1.weight ") && $0.contains("[1, 102]") }, "\(info.output)")
        #expect(info.output.contains(" 0.body.0.weight [100, 2]"), "\(info.output)")
        let session = try TrainingSession.load(from: URL(fileURLWithPath: model))
        #expect(session.options.weightDecay == penalty && session.specification.linearPath)
        let plain = try FeedforwardExecutable.run([
            "train", "--dataset", "csv:\(train)", "--label-column", "price", "--regression", "--epochs", "1",
            "--no-linear-path", "--weight-decay", "0",
        ])
        #expect(plain.status == 0 && !plain.error.contains("L2 penalty"), "\(plain.error)")
        #expect(plain.error.contains("(linear output, 401 parameters)"), "\(plain.error)")
    }

    @Test func missingValuesAreReportedOrImputed() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var text = Self.rows(count: 60, seed: 3).split(separator: "\n").map(String.init)
        text[3] = "NA," + text[3].split(separator: ",", maxSplits: 1)[1]
        let train = directory.appendingPathComponent("gaps.csv").path
        try (text.joined(separator: "\n") + "\n").write(toFile: train, atomically: true, encoding: .utf8)
        let refused = try FeedforwardExecutable.run(["train", "--dataset", "csv:\(train)", "--epochs", "1"])
        #expect(refused.status != 0)
        #expect(refused.error.contains("gaps.csv:4:1") && refused.error.contains("\"f0\"") && refused.error.contains("--impute"), "\(refused.error)")
        let filled = try FeedforwardExecutable.run(["train", "--dataset", "csv:\(train)", "--epochs", "1", "--impute", "median"])
        #expect(filled.status == 0, "\(filled.error)")
    }

    @Test func wrongInputsAreClearErrors() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let xorModel = directory.appendingPathComponent("xor.ckpt").path
        #expect(try FeedforwardExecutable.run(["train", "--dataset", "xor", "--epochs", "1", "--save", xorModel]).status == 0)
        let wide = directory.appendingPathComponent("wide.csv").path
        try "a,b,c\n1,2,3\n".write(toFile: wide, atomically: true, encoding: .utf8)
        let tooWide = try FeedforwardExecutable.run(["predict", "--model", xorModel, "--input", wide])
        #expect(tooWide.status != 0 && tooWide.error.contains("3 features per example, the model takes 2"), "\(tooWide.error)")

        let train = directory.appendingPathComponent("train.csv").path
        let model = directory.appendingPathComponent("model.ckpt").path
        try Self.rows(count: 60, seed: 1).write(toFile: train, atomically: true, encoding: .utf8)
        #expect(try FeedforwardExecutable.run(["train", "--dataset", "csv:\(train)", "--epochs", "1", "--save", model]).status == 0)
        let renamed = directory.appendingPathComponent("renamed.csv").path
        try "f0,f1,f3,colour\n1,2,3,red\n".write(toFile: renamed, atomically: true, encoding: .utf8)
        let wrongColumns = try FeedforwardExecutable.run(["predict", "--model", model, "--input", renamed])
        #expect(wrongColumns.status != 0 && wrongColumns.error.contains("no column named \"f2\""), "\(wrongColumns.error)")

        for arguments in [["--optimizer", "adam", "--momentum", "0.9"], ["--test-dataset", "test.csv"], ["--test-fraction", "1.5"]] {
            let result = try FeedforwardExecutable.run(["train", "--dataset", "csv:\(train)", "--epochs", "1"] + arguments)
            #expect(result.status != 0 && result.error.contains(arguments[0]), "\(arguments): \(result.error)")
        }
    }

    @Test func sgdWithMomentumTrainsAsTheMomentumOptimizer() throws {
        let directory = try CommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var parameters: [[[Float]]] = []
        for (index, optimizer) in [["--optimizer", "sgd", "--momentum", "0.9"], ["--optimizer", "momentum"], ["--optimizer", "sgd"]].enumerated() {
            let model = directory.appendingPathComponent("m\(index).ckpt").path
            let result = try FeedforwardExecutable.run(
                ["train", "--dataset", "xor", "--hidden", "4", "--epochs", "20", "--batch-size", "2", "--save", model] + optimizer)
            #expect(result.status == 0, "\(result.error)")
            parameters.append(try TrainingSession.load(from: URL(fileURLWithPath: model)).model.parameters.map(\.value.scalars))
        }
        #expect(parameters[0] == parameters[1])
        #expect(parameters[0] != parameters[2])
    }
}
