import Feedforward
import Testing
@testable import FeedforwardCLI

/// `Train.configuration(arguments:)`: the arguments of `feedforward train` to a validated
/// configuration or a typed error, without reading data or writing files.
@Suite struct TrainingConfigurationTests {
    @Test func defaultsAndAFullCommandLineParse() throws {
        let configuration = try Train.configuration(arguments: [
            "--dataset", "xor", "--hidden", "8, 4", "--activation", "tanh", "--optimizer", "adam", "--learning-rate", "0.01",
            "--schedule", "warmup:5:cosine:0.001", "--batch-size", "4", "--epochs", "7", "--weight-decay", "0.001",
            "--clip-norm", "1", "--seed", "3", "--threads", "1", "--save", "x.ckpt",
        ])
        #expect(configuration.source == .xor)
        #expect(configuration.hiddenSizes == [8, 4])
        #expect(configuration.hiddenUnit == .activation(.tanh))
        #expect(configuration.options.optimizer == .adam && configuration.options.epochs == 7 && configuration.options.batchSize == 4)
        #expect(configuration.options.gradientClipNorm == 1 && configuration.options.seed == 3 && configuration.threads == 1)
        #expect(configuration.scheduleText == "warmup:5:cosine:0.001" && configuration.save == "x.ckpt")
        #expect(try Train.configuration(arguments: ["--dataset", "xor", "--hidden", ""]).hiddenSizes == [])
    }

    @Test(arguments: [
        (["--hidden", "4,,4"], "--hidden"),
        (["--hidden", ",4"], "--hidden"),
        (["--hidden", "4,"], "--hidden"),
        (["--hidden", "0"], "--hidden"),
        (["--hidden", "99999999999999999999999"], "--hidden"),
        (["--hidden", "2097152"], "--hidden"),
        (["--dataset", "xor", "--label-column", "99"], "--label-column"),
        (["--dataset", "fashion-mnist", "--label-column", "0"], "--label-column"),
        (["--dataset", "xor", "--regression"], "--regression"),
        (["--dataset", "xor", "--data-directory", "/tmp"], "--data-directory"),
        (["--schedule", "cosine:inf"], "--schedule"),
        (["--schedule", "cosine:nan"], "--schedule"),
        (["--schedule", "step:10:inf"], "--schedule"),
        (["--schedule", "warmup:0"], "--schedule"),
        (["--schedule", "warmup:99999999999999999999"], "--schedule"),
        (["--threads", "10000"], "--threads"),
        (["--threads", "0"], "--threads"),
        (["--threads", "-3"], "threads"),
        (["--learning-rate", "nan"], "--learning-rate"),
        (["--learning-rate", "inf"], "--learning-rate"),
        (["--learning-rate", "0"], "--learning-rate"),
        (["--weight-decay", "inf"], "--weight-decay"),
        (["--weight-decay", "-1"], "--weight-decay"),
        (["--clip-norm", "nan"], "--clip-norm"),
        (["--clip-norm", "inf"], "--clip-norm"),
        (["--epochs", "-1"], "--epochs"),
        (["--epochs", "99999999999"], "--epochs"),
        (["--batch-size", "0"], "--batch-size"),
        (["--validation-fraction", "nan"], "--validation-fraction"),
        (["--validation-fraction", "1"], "--validation-fraction"),
        (["--early-stopping", "0"], "--early-stopping"),
        (["--output", "mdn:100000000"], "mdn"),
        (["--output", "mdn:0"], "output"),
        (["--seed", "-1"], "seed"),
        (["--dataset", "csv:"], "dataset"),
        (["--activation", "maxout:100000"], "activation"),
    ])
    func badArgumentsAreTypedErrors(arguments: [String], mention: String) {
        do {
            let configuration = try Train.configuration(arguments: arguments)
            Issue.record("\(arguments) gave \(configuration)")
        } catch {
            #expect(error.message.contains(mention), "\(arguments): \(error.message)")
        }
    }
}
