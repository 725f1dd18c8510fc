import ArgumentParser
import Feedforward

/// The validated settings of one `feedforward train` run, parsed from its arguments without reading
/// data, touching output files or building a network.
///
/// ``init(trainArguments:)`` is a function from the argument list to this value or a
/// ``ConfigurationError``: the entry point for fuzzing the CLI's argument handling.
public struct TrainingConfiguration: Equatable, Sendable {
    /// Where the data comes from.
    public var source: DataSource
    /// The hidden layer sizes, each in `1...TrainingSession.maximumLayerWidth`.
    public var hiddenSizes: [Int]
    /// The hidden unit.
    public var hiddenUnit: HiddenUnit
    /// The output unit, when given (else chosen from the targets).
    public var output: OutputUnit?
    /// The training options, valid by `TrainingOptions.validate()`, with `epochs` in
    /// `0...maximumEpochs`; `schedule` is resolved later from ``scheduleText``, since a cosine
    /// schedule's length depends on the number of examples.
    public var options: TrainingOptions
    /// The `--schedule` text, already checked to parse (see ``schedule(totalSteps:)``).
    public var scheduleText: String
    /// Threads for the kernels, when given (in `1...ComputeEnvironment.maximumThreadCount`).
    public var threads: Int?
    /// The checkpoint to resume from.
    public var resume: String?
    /// The checkpoint to write.
    public var save: String?
    /// The JSON Lines log to append to.
    public var log: String?
    /// The folder to write plots into.
    public var plot: String?

    /// The most epochs `--epochs` accepts (their step count must not overflow).
    public static var maximumEpochs: Int { Train.maximumEpochs }

    /// The learning-rate schedule ``scheduleText`` describes, for a run of `totalSteps` steps (the
    /// length of a cosine schedule); `nil` when the text does not parse, which a configuration made
    /// by ``init(trainArguments:)`` rules out.
    public func schedule(totalSteps: Int) -> LearningRateSchedule? {
        parseSchedule(scheduleText, totalSteps: totalSteps)
    }
}

extension TrainingConfiguration {
    /// Parses and validates `arguments` as `feedforward train` takes them (without the subcommand
    /// name, as `["--dataset", "xor", "--hidden", "8"]`). Reads no data and writes nothing.
    /// - Throws: ``ConfigurationError`` with the message the command prints for these arguments.
    public init(trainArguments arguments: [String]) throws(ConfigurationError) {
        self = try Train.configuration(arguments: arguments)
    }
}

/// Why arguments do not make a training configuration: the message the CLI prints for them.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// What is wrong with which argument, as the command prints it.
    public var message: String
    /// The message.
    public var description: String { message }
}

extension Train {
    /// Parses and validates `arguments` as `feedforward train` takes them (without the subcommand
    /// name). Reads no data and writes nothing.
    static func configuration(arguments: [String]) throws(ConfigurationError) -> TrainingConfiguration {
        do {
            return try parse(arguments).configuration()
        } catch {
            throw ConfigurationError(message: message(for: error))
        }
    }

    /// This command's options as a configuration (the command has already been validated). Options
    /// not given take the defaults of the data's kind: images, or a CSV table (whose default batch
    /// size is capped again by its training rows once they are known).
    func configuration() throws -> TrainingConfiguration {
        let source = try data.source()
        var isTabular = false, regression = false
        if case .csv(_, _, let isRegression) = source { (isTabular, regression) = (true, isRegression) }
        var options = trainingOptions(tabular: isTabular, regression: regression)
        guard let schedule = parseSchedule(schedule, totalSteps: 1) else { throw Self.unknownSchedule(self.schedule) }
        options.schedule = schedule
        do {
            try options.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return TrainingConfiguration(
            source: source, hiddenSizes: try hiddenSizes(tabular: isTabular), hiddenUnit: activation, output: output,
            options: options, scheduleText: self.schedule, threads: threads, resume: resume, save: save, log: log, plot: plot)
    }

    /// The training options these arguments give, with the defaults of images or of CSV tables
    /// (``TabularDefaults``) for the options not given.
    func trainingOptions(tabular isTabular: Bool, regression: Bool) -> TrainingOptions {
        var options = isTabular ? TabularDefaults.options(trainingCount: .max, regression: regression) : TrainingOptions()
        if !isTabular { options.epochs = 30 }
        if let epochs { options.epochs = epochs }
        if let batchSize { options.batchSize = batchSize }
        options.dropsLastPartialBatch = dropLast
        if let optimizer { options.optimizer = optimizer }
        options.momentum = momentum ?? 0
        if let learningRate { options.learningRate = learningRate }
        if let weightDecay { options.weightDecay = weightDecay }
        options.gradientClipNorm = clipNorm
        options.seed = seed
        options.earlyStoppingPatience = earlyStopping
        options.validationFraction = heldOutFraction
        options.testFraction = tabular.testDataset == nil ? (tabular.testFraction ?? 0.2) : 0
        return options
    }
}
