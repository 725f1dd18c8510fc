import ArgumentParser
import Feedforward
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a multilayer perceptron and report its test metrics.",
        discussion: """
            Examples:
              feedforward train                                  # Fashion-MNIST (or the bundled subset)
              feedforward train --dataset xor --hidden 2 --epochs 500 --batch-size 4 --learning-rate 0.1
              feedforward train --dataset csv:train.csv --test-dataset csv:test.csv --label-column species
              feedforward train --dataset csv:data.csv --label-column price --regression --impute median
              feedforward train --epochs 2 --save run.ckpt && feedforward train --resume run.ckpt --epochs 4
              mpirun -np 4 feedforward train --batch-size 256      # data-parallel on 4 ranks (Open MPI)

            Defaults depend on the data. Images: --hidden 256,256 --optimizer momentum --learning-rate 0.05 \
            --batch-size 128 --epochs 30. CSV files: --hidden 100 --optimizer adam --learning-rate 0.001 \
            --epochs 200 --batch-size min(32, rows), --weight-decay 0.01 for classes and 10/rows for \
            --regression, which also gets --linear-path, started at the least-squares fit (see \
            TabularDefaults). Neither stops early unless --early-stopping is given.
            """)

    @OptionGroup var data: DataOptions

    @OptionGroup var tabular: TabularOptions

    @Option(help: "Hidden layer sizes, comma-separated (an empty string for none). Default: 256,256 for images, 100 for CSV.")
    var hidden: String?

    @Flag(inversion: .prefixedNo, help: "Whether the output layer also sees the inputs beside the last hidden layer (wide and deep: a linear model plus the network; with --output linear it starts at the least-squares fit). Default: on for CSV --regression, off otherwise.")
    var linearPath: Bool?

    @Option(help: "The hidden unit: \(HiddenUnit.names.joined(separator: ", ")).")
    var activation = HiddenUnit.activation(.relu)

    @Option(help: "The output unit and cost: softmax, sigmoid (two classes), linear (MSE), mae, mdn:K. Default: softmax for classes, linear for values.")
    var output: OutputUnit?

    @Option(help: "The optimizer: \(OptimizerChoice.allCases.map(\.rawValue).joined(separator: ", ")). Default: momentum for images, adam for CSV.")
    var optimizer: OptimizerChoice?

    @Option(help: "The momentum of --optimizer sgd, as PyTorch's SGD(momentum=): sgd with --momentum 0.9 is --optimizer momentum.")
    var momentum: Double?

    @Option(help: "The learning rate. Default: 0.05 for images, 0.001 for CSV.")
    var learningRate: Double?

    @Option(help: "The learning-rate schedule: constant, step:INTERVAL:FACTOR, cosine[:MINIMUM], warmup:STEPS[:SCHEDULE].")
    var schedule = "constant"

    @Option(help: "Examples per minibatch. Default: 128 for images, min(32, training rows) for CSV.")
    var batchSize: Int?

    @Flag(help: "Skip each epoch's last minibatch when it is smaller than --batch-size.")
    var dropLast = false

    @Option(help: "The number of epochs (with --resume: the total, counting those already done). Default: 30 for images, 200 for CSV.")
    var epochs: Int?

    @Option(help: "The strength λ of the L2 weight penalty λΣw² (weights, not biases), added to the mean loss for the gradients and reported apart. Default: 0 for images; for CSV 0.01 for classes, 10/rows for values (rows: training rows).")
    var weightDecay: Double?

    @Option(help: "Clip gradients to this global norm.")
    var clipNorm: Double?

    @Option(help: "The random seed (initialisation, shuffling, dropout, splits).")
    var seed: UInt64 = 0

    @Option(help: "Threads for matrix products and large element-wise work (default: all cores).")
    var threads: Int?

    @Option(help: "The fraction of the training data held out for validation (default: 0, or 0.1 with --early-stopping; ignored with --validation-dataset).")
    var validationFraction: Double?

    @Option(help: "Stop when the validation loss has not improved for this many epochs, and keep the best epoch's parameters.")
    var earlyStopping: Int?

    @Option(help: "Write a checkpoint here after every epoch (atomically); it is also the saved model.")
    var save: String?

    @Option(help: "Continue training from this checkpoint (its network and training settings are used; options that would change them are refused).")
    var resume: String?

    @Option(help: "Write loss and accuracy figures (SVG) into this directory.")
    var plot: String?

    @Option(help: "Append every epoch's metrics to this JSON Lines file.")
    var log: String?

    @Option(help: "Write TensorBoard event files into this directory (train, validation and test figures and the learning rate, per epoch).")
    var tensorboard: String?

    @Flag(help: "Print the final metrics as one JSON object on the last line of standard output.")
    var json = false

    @Flag(help: "Train data-parallel on the ranks of an Open MPI job (implied when started by mpirun); fails when Open MPI cannot be loaded.")
    var distributed = false

    @Flag(help: "Check every operation's result for NaN and infinity, and name the first operation that produces one (slower).")
    var detectAnomalies = false

    /// The most threads `--threads` accepts: four per processor (as for `FEEDFORWARD_THREADS`).
    static var maximumThreads: Int { ComputeEnvironment.maximumThreadCount }

    /// The most epochs `--epochs` accepts (their step count must not overflow).
    static let maximumEpochs = 1_000_000

    func validate() throws {
        if let batchSize, batchSize <= 0 { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        if let epochs, !(0...Self.maximumEpochs).contains(epochs) {
            throw ValidationError("--epochs must be in 0...\(Self.maximumEpochs), got \(epochs)")
        }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
            throw ValidationError("--learning-rate must be positive and finite, got \(learningRate)")
        }
        if let weightDecay, !(weightDecay >= 0 && weightDecay.isFinite) {
            throw ValidationError("--weight-decay must be finite and not negative, got \(weightDecay)")
        }
        if let validationFraction, !(0..<1).contains(validationFraction) {
            throw ValidationError("--validation-fraction must be in [0, 1), got \(validationFraction)")
        }
        if earlyStopping != nil, validationFraction == 0, tabular.validationDataset == nil {
            throw ValidationError("--early-stopping needs a validation split: give --validation-fraction above 0 or --validation-dataset")
        }
        if let momentum {
            guard momentum >= 0, momentum < 1 else { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
            guard optimizer == .sgd else {
                throw ValidationError("--momentum goes with --optimizer sgd (momentum and nesterov have 0.9 built in; adam, adamw and rmsprop take none)")
            }
        }
        if let clipNorm, !(clipNorm > 0 && clipNorm.isFinite) { throw ValidationError("--clip-norm must be positive and finite, got \(clipNorm)") }
        if let threads, !(1...Self.maximumThreads).contains(threads) {
            throw ValidationError("--threads must be in 1...\(Self.maximumThreads) (four per processor; more only slows training), got \(threads)")
        }
        if let earlyStopping, earlyStopping < 1 { throw ValidationError("--early-stopping must be at least 1, got \(earlyStopping)") }
        if case .mixtureDensity(let components) = output, components > TrainingSession.maximumMixtureComponents {
            throw ValidationError("--output mdn:K takes at most \(TrainingSession.maximumMixtureComponents) components, got \(components)")
        }
        guard parseSchedule(schedule, totalSteps: 1) != nil else { throw Self.unknownSchedule(schedule) }
        try tabular.validate()
        _ = try hiddenSizes(tabular: false)
        if resume != nil {
            let defaults = try Train.parse([])
            let ignored = [
                ("--hidden", hidden != nil), ("--linear-path", linearPath != nil), ("--activation", activation != defaults.activation),
                ("--output", output != nil), ("--optimizer", optimizer != nil), ("--momentum", momentum != nil),
                ("--learning-rate", learningRate != nil), ("--schedule", schedule != defaults.schedule),
                ("--batch-size", batchSize != nil), ("--drop-last", dropLast),
                ("--weight-decay", weightDecay != nil), ("--clip-norm", clipNorm != nil),
                ("--seed", seed != defaults.seed), ("--early-stopping", earlyStopping != nil),
                ("--test-fraction", tabular.testFraction != nil), ("--impute", tabular.impute != defaults.tabular.impute),
            ].filter(\.1).map(\.0)
            if !ignored.isEmpty {
                throw ValidationError("--resume continues with the checkpoint's network and training settings; leave out \(ignored.joined(separator: ", "))")
            }
        }
    }

    static func unknownSchedule(_ text: String) -> ValidationError {
        ValidationError("unknown --schedule '\(text)': use constant, step:INTERVAL:FACTOR, cosine[:MINIMUM] or warmup:STEPS[:SCHEDULE] with positive finite numbers")
    }

    func hiddenSizes(tabular: Bool) throws -> [Int] {
        guard let hidden else { return tabular ? TabularDefaults.hiddenSizes : [256, 256] }
        let trimmed = hidden.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return [] }
        return try trimmed.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let size = Int(part.trimmingCharacters(in: .whitespaces)), size > 0, size <= TrainingSession.maximumLayerWidth else {
                throw ValidationError("--hidden must be sizes in 1...\(TrainingSession.maximumLayerWidth) separated by single commas, got '\(hidden)'")
            }
            return size
        }
    }

    /// Checks, before any data is read, that every file and folder the run writes can be written.
    func checkOutputPaths() throws {
        if let save { try PathChecks.checkWritableFile(save, option: "--save") }
        if let log { try PathChecks.checkWritableFile(log, option: "--log") }
        if let plot { try PathChecks.checkWritableFolder(plot, option: "--plot") }
        if let tensorboard { try PathChecks.checkWritableFolder(tensorboard, option: "--tensorboard") }
        if let resume { try PathChecks.checkReadableFile(resume, option: "--resume") }
    }

    func run() throws {
        try DistributedLaunch.reportingErrors(distributed: distributed) { communicator in
            let isRoot = communicator.isRoot
            let configuration = try configuration()
            // Only rank 0 writes; the other ranks read the checkpoint through it.
            if isRoot { try checkOutputPaths() }
            if let threads = threads ?? DistributedLaunch.defaultThreads(for: communicator) { ComputeEnvironment.threadCount = threads }
            var session: TrainingSession
            let splits: DataSplits
            let source = try data.source()
            let isTabular: Bool
            if case .csv = source { isTabular = true } else { isTabular = false }
            if !isTabular, tabular.givesFiles {
                throw ValidationError("--test-dataset and --validation-dataset take CSV files, for a CSV --dataset")
            }
            if let resume {
                session = try TrainingSession.load(from: URL(fileURLWithPath: resume), over: communicator)
                if let epochs { session.options.epochs = epochs }
                if let validationFraction, validationFraction != session.options.validationFraction {
                    throw ValidationError("--validation-fraction \(validationFraction) differs from the checkpoint's \(session.options.validationFraction); resuming keeps the split of the first run")
                }
                splits = try tabular.loadSplits(
                    source, validationFraction: session.options.validationFraction, seed: session.options.seed,
                    testFraction: session.options.testFraction, schema: session.schema)
                try session.validate(splits.training)
            } else {
                splits = try tabular.loadSplits(
                    source, validationFraction: heldOutFraction, seed: seed,
                    testFraction: tabular.testFraction ?? 0.2, schema: nil)
                session = try makeSession(splits, configuration, tabular: isTabular)
                session.synchronize(over: communicator)
            }
            try session.checkSameData(splits.training, named: "training")
            if isRoot { for warning in splits.warnings { printError("warning: \(warning)") } }
            let interactive = isRoot && isatty(STDERR_FILENO) != 0
            let logFile = isRoot ? try log.map { try JSONLinesLog(url: URL(fileURLWithPath: $0)) } : nil
            let events = isRoot ? try tensorboard.map { try TensorBoardWriter(directory: URL(fileURLWithPath: $0)) } : nil
            if isRoot && (!json || interactive) {
                printError("Training \(describe(session)) on \(source): \(splits.training.count) training, \(splits.validation?.count ?? 0) validation, \(splits.test.count) test examples")
            }
            let bar = ProgressBar(enabled: interactive)
            var savedEpoch: Int?
            let allreduceSecondsBefore = communicator.allreduceSeconds
            while !session.isFinished {
                let train = {
                    try session.trainEpoch(
                        on: splits.training, validation: splits.validation,
                        evaluateTraining: plot != nil || events != nil, progress: bar.update)
                }
                let record: EpochRecord
                let epochNumber = session.epoch + 1
                do {
                    record = try detectAnomalies ? AnomalyDetection.run(train) : train()
                } catch let anomaly as NumericalAnomaly {
                    throw AnomalyStop(epoch: epochNumber, anomaly: anomaly)
                }
                guard isRoot else { continue }
                bar.finishLine()
                printError(describe(record, epochs: session.options.epochs))
                try logFile?.append(record)
                // Test figures are logged for reading only: nothing in training is chosen by them.
                if let events {
                    let test = splits.test.count > 0 ? session.evaluate(on: splits.test).tensorBoardScalars(split: "test") : []
                    try events.addScalars(record.tensorBoardScalars + test, step: record.epoch)
                }
                if let save {
                    try session.save(to: URL(fileURLWithPath: save))
                    savedEpoch = session.epoch
                }
                if let plot { try session.writePlots(to: URL(fileURLWithPath: plot)) }
            }
            let allreduceSeconds = communicator.allreduceSeconds - allreduceSecondsBefore
            try session.checkParametersAgree()
            guard isRoot else { return }
            // The last epoch's checkpoint is the final one; save here only when no epoch ran.
            if let save, savedEpoch != session.epoch { try session.save(to: URL(fileURLWithPath: save)) }
            // Checkpoints store no timings: a resumed run's earlier epochs read 0 samples/s.
            let throughput = session.history.map(\.samplesPerSecond).filter { $0 > 0 }.sorted()
            let median = throughput.isEmpty ? 0 : throughput[throughput.count / 2]
            let trainSeconds = session.history.map(\.seconds).reduce(0, +)
            var object: [String: Any] = [
                "dataset": "\(source)", "epochs": session.epoch, "test_examples": splits.test.count,
                "samples_per_second": median, "train_seconds": trainSeconds,
                "ranks": communicator.size, "allreduce_seconds": allreduceSeconds,
            ]
            if splits.test.count == 0 {
                print("test: no test data (\(session.epoch) epochs, median \(Int(median)) samples/s); give --test-dataset csv:PATH or --test-fraction above 0")
            } else {
                let test = session.evaluate(on: splits.test)
                let figures = test.figures.map { "\($0.0) \(format($0.1))" }.joined(separator: ", ")
                print("test: \(figures) (\(test.count) examples, \(session.epoch) epochs, median \(Int(median)) samples/s)")
                try requireFinite(test.figures, split: "test")
                let names = session.schema?.classNames ?? splits.test.classNames
                for line in metricsReport(test, classNames: names) { print(line) }
                object.merge(metricsJSON(test, classNames: names, prefix: "test_")) { $1 }
            }
            if communicator.size > 1 {
                print(String(
                    format: "distributed: %d ranks, parameters identical on all; rank 0 spent %.2f s of %.2f s training in allreduce",
                    communicator.size, allreduceSeconds, trainSeconds))
            }
            if json {
                let encoded = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: encoded, as: UTF8.self))
            }
        }
    }

    /// The validation fraction: as given, else none (the whole training split trains, as in the
    /// reference PyTorch recipe and scikit-learn), or 0.1 when early stopping needs a validation
    /// loss; none when a validation file is given.
    var heldOutFraction: Double {
        if tabular.validationDataset != nil { return 0 }
        return validationFraction ?? (earlyStopping == nil ? 0 : 0.1)
    }

    func makeSession(
        _ splits: DataSplits, _ configuration: TrainingConfiguration, tabular isTabular: Bool
    ) throws -> TrainingSession {
        let classifying: Bool
        let targetSize: Int
        switch splits.training.targets {
        case .classes(_, let classCount): (classifying, targetSize) = (true, classCount)
        case .values(let values): (classifying, targetSize) = (false, values.shape[1])
        }
        let unit = configuration.output ?? (classifying ? .softmax : .linear)
        guard unit.isClassifier == classifying else {
            throw ValidationError("--output \(unit) does not fit \(classifying ? "class" : "real-valued") targets")
        }
        if unit == .sigmoid && targetSize != 2 {
            throw ValidationError("--output sigmoid needs two classes, the data has \(targetSize)")
        }
        var options = configuration.options
        // A CSV table's defaults that depend on its training rows (TabularDefaults).
        if isTabular {
            let rowDefaults = TabularDefaults.options(trainingCount: splits.training.count, regression: !classifying)
            if batchSize == nil { options.batchSize = rowDefaults.batchSize }
            if weightDecay == nil { options.weightDecay = rowDefaults.weightDecay }
        }
        if splits.validation == nil { options.earlyStoppingPatience = nil }
        let batchSize = options.batchSize
        let stepsPerEpoch = dropLast ? splits.training.count / batchSize : (splits.training.count + batchSize - 1) / batchSize
        guard let parsed = parseSchedule(schedule, totalSteps: Swift.max(1, options.epochs * stepsPerEpoch)) else {
            throw Self.unknownSchedule(schedule)
        }
        options.schedule = parsed
        let specification = NetworkSpecification(
            inputSize: splits.training.featureCount, hiddenSizes: configuration.hiddenSizes, hiddenUnit: activation,
            output: unit, targetSize: targetSize,
            linearPath: linearPath ?? (isTabular && TabularDefaults.linearPath(regression: !classifying)))
        // The memory estimate counts the batches this data gives, not a batch size larger than the data.
        var sizing = options
        sizing.batchSize = Swift.min(batchSize, Swift.max(1, splits.training.count))
        try specification.validate()
        try TrainingSession.checkMemory(for: specification, options: sizing)
        var session = try TrainingSession(
            validating: specification, options: options, standardizer: splits.standardizer,
            targetStandardizer: splits.targetStandardizer, schema: splits.schema, memory: nil)
        // A network with the linear path starts at the least-squares linear fit of the training rows.
        session.startLinearPathAtLeastSquares(on: splits.training)
        return session
    }
}

/// Training stopped by anomaly detection.
struct AnomalyStop: Error, CustomStringConvertible {
    var epoch: Int
    var anomaly: NumericalAnomaly
    var description: String {
        "numerical anomaly in epoch \(epoch): the \(anomaly); lower the learning rate or enable gradient clipping"
    }
}

func format(_ value: Double) -> String { String(format: "%.4f", value) }

/// Throws when a metric is NaN or infinite, so that such a result never ends with exit status 0.
func requireFinite(_ figures: [(String, Double)], split: String) throws {
    if let (name, value) = figures.first(where: { !$0.1.isFinite }) {
        throw ValidationError("the \(split) \(name) is \(value): the network's outputs overflow on this data (check the inputs' scale, or lower the learning rate)")
    }
}

func describe(_ session: TrainingSession) -> String {
    describe(session.specification, parameterCount: session.model.parameterCount)
}

func describe(_ spec: NetworkSpecification, parameterCount: Int) -> String {
    let sizes = ([spec.inputSize] + spec.hiddenSizes + [spec.output.outputSize(targetSize: spec.targetSize)]).map(String.init)
    let linear = spec.linearPath && !spec.hiddenSizes.isEmpty ? ", linear path from the inputs" : ""
    return "\(sizes.joined(separator: "-")) \(spec.activation) network (\(spec.output) output\(linear), \(parameterCount) parameters)"
}

func describe(_ record: EpochRecord, epochs: Int) -> String {
    var line = "epoch \(record.epoch)/\(epochs): train loss \(format(record.trainLoss))"
    // The train loss is the data loss, as the validation and test losses; the penalty is shown apart.
    if let penalty = record.trainPenalty { line += " (L2 penalty \(format(penalty)) not included)" }
    if let train = record.train?.classification { line += ", train accuracy \(format(train.accuracy))" }
    if let validation = record.validation {
        line += ", " + validation.figures.map { "validation \($0.0) \(format($0.1))" }.joined(separator: ", ")
    }
    // Records read from a checkpoint carry no timings (see TrainingSession.save(to:)).
    guard record.seconds > 0 else { return line }
    return line + String(format: ", %.1fs, %.0f samples/s", record.seconds, record.samplesPerSecond)
}

/// A one-line progress bar on standard error, redrawn at most ten times a second.
final class ProgressBar {
    let enabled: Bool
    var lastDraw = Date.distantPast

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ progress: BatchProgress) {
        guard enabled, progress.batch == progress.batches || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        let width = 24
        let filled = width * progress.batch / Swift.max(progress.batches, 1)
        let remaining = progress.elapsedSeconds / Double(progress.batch) * Double(progress.batches - progress.batch)
        let line = String(
            format: "\repoch %d/%d [%@%@] %d/%d loss %.4f %.0f samples/s ETA %.0fs ",
            progress.epoch, progress.epochs, String(repeating: "#", count: filled),
            String(repeating: ".", count: width - filled), progress.batch, progress.batches, progress.loss,
            progress.samplesPerSecond, remaining)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finishLine() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
