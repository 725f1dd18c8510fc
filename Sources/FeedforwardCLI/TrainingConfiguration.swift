import ArgumentParser
import Feedforward

/// The validated settings of one `feedforward train` run, parsed from its arguments without reading
/// data, touching output files or building a network.
///
/// ``Train/configuration(arguments:)`` is a function from the argument list to this value or a
/// ``ConfigurationError``: the entry point for fuzzing the CLI's argument handling.
struct TrainingConfiguration: Equatable {
    /// Where the data comes from.
    var source: DataSource
    /// The hidden layer sizes.
    var hiddenSizes: [Int]
    /// The hidden unit.
    var hiddenUnit: HiddenUnit
    /// The output unit, when given (else chosen from the targets).
    var output: OutputUnit?
    /// The training options; `schedule` is resolved later from ``scheduleText``, since a cosine
    /// schedule's length depends on the number of examples.
    var options: TrainingOptions
    /// The `--schedule` text, already checked to parse.
    var scheduleText: String
    /// Threads for the kernels, when given (in 1...``Train/maximumThreads``).
    var threads: Int?
    /// The checkpoint to resume from.
    var resume: String?
    /// The checkpoint, log file and plot folder to write.
    var save: String?, log: String?, plot: String?
}

/// Why arguments do not make a training configuration: the message the CLI prints for them.
struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
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

    /// This command's options as a configuration (the command has already been validated).
    func configuration() throws -> TrainingConfiguration {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.dropsLastPartialBatch = dropLast
        options.optimizer = optimizer
        options.learningRate = learningRate
        options.weightDecay = weightDecay
        options.gradientClipNorm = clipNorm
        options.seed = seed
        options.earlyStoppingPatience = earlyStopping
        options.validationFraction = heldOutFraction
        guard let schedule = parseSchedule(schedule, totalSteps: 1) else { throw Self.unknownSchedule(self.schedule) }
        options.schedule = schedule
        do {
            try options.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return TrainingConfiguration(
            source: try data.source(), hiddenSizes: try hiddenSizes(), hiddenUnit: activation, output: output,
            options: options, scheduleText: self.schedule, threads: threads, resume: resume, save: save, log: log, plot: plot)
    }
}
