import Feedforward
import Testing
@testable import FeedforwardCommandLine

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
        (["--resume", "run.ckpt", "--hidden", "8"], "leave out --hidden"),
        (["--resume", "run.ckpt", "--optimizer", "adam", "--learning-rate", "0.1"], "leave out --optimizer, --learning-rate"),
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

/// Random argument lists from a vocabulary of options and hostile values: every list either parses
/// to a configuration that satisfies the documented bounds, or gives a typed error with a message.
/// The seeded, in-suite counterpart of the libFuzzer target `FuzzArguments` (fuzz/, docs/fuzzing.md).
@Suite struct TrainingConfigurationPropertyTests {
    static let options = [
        "--dataset", "--data-directory", "--label-column", "--regression", "--hidden", "--activation", "--output",
        "--optimizer", "--learning-rate", "--schedule", "--batch-size", "--drop-last", "--epochs", "--weight-decay",
        "--clip-norm", "--seed", "--threads", "--validation-fraction", "--early-stopping", "--save", "--resume",
        "--plot", "--log", "--json", "--detect-anomalies", "--bogus", "-h",
    ]
    static let values = [
        "", "0", "1", "-1", "4", "4,,4", ",", "8,4", "1048576", "1048577", "9223372036854775807", "-9223372036854775808",
        "99999999999999999999", "nan", "-nan", "inf", "-inf", "1e400", "1e-400", "0.5", "1.0", "0x10", "xor", "bundled",
        "fashion-mnist", "mnist", "csv:", "csv:a.csv", "csv:/dev/zero", "mdn:0", "mdn:65536", "mdn:65537", "softmax",
        "sigmoid", "maxout:0", "maxout:64", "maxout:65", "prelu", "adam", "cosine:inf", "cosine:0.001", "step:1:nan",
        "step:0:1", "warmup:5:cosine", "warmup:5:warmup:5:constant", "constant", "--", "=", "\u{0}", "é", "--epochs",
    ]

    @Test func randomArgumentListsParseWithinBoundsOrFailWithAMessage() {
        var generator = SeededRandomNumberGenerator(seed: 16)
        var accepted = 0
        for _ in 0..<400 {
            var arguments: [String] = []
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                arguments.append(Self.options.randomElement(using: &generator)!)
                if Bool.random(using: &generator) { arguments.append(Self.values.randomElement(using: &generator)!) }
            }
            do {
                let configuration = try Train.configuration(arguments: arguments)
                accepted += 1
                #expect(configuration.hiddenSizes.allSatisfy { (1...TrainingSession.maximumLayerWidth).contains($0) }, "\(arguments)")
                #expect(configuration.threads.map { (1...Train.maximumThreads).contains($0) } ?? true, "\(arguments)")
                #expect((0...Train.maximumEpochs).contains(configuration.options.epochs), "\(arguments)")
                #expect(throws: Never.self, "\(arguments)") { try configuration.options.validate() }
                #expect(parseSchedule(configuration.scheduleText, totalSteps: 1) != nil, "\(arguments)")
            } catch {
                #expect(!error.message.isEmpty, "\(arguments)")
            }
        }
        #expect(accepted > 0, "no random argument list was accepted")
    }
}
