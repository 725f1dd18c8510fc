import Foundation

// A ``Trainer`` checkpoint is a safetensors file, like a ``TrainingSession`` checkpoint and like
// `saveParameters`: the model's parameters as `model.<name>` (readable by any safetensors reader),
// the optimizer's buffers as `optimizer.<key>`, the best weights so far as `best.<name>`, and a JSON
// description of the loop's progress in the metadata under `feedforward.trainer`. The model's
// architecture is code, not data: a checkpoint is restored into a trainer built with the same model
// type, and `feedforward info` describes it.

/// What a ``Trainer`` checkpoint records beside its tensors.
public struct TrainerCheckpointHeader: Sendable, Codable, Equatable {
    /// The version of this description; readers refuse other versions.
    public static let formatVersion = 1
    /// The metadata key under which the description is stored, as JSON.
    public static let metadataKey = "feedforward.trainer"

    /// The format version the file was written with.
    public var format = TrainerCheckpointHeader.formatVersion
    /// The Swift type of the model that was saved (for people; restoring checks the parameters).
    public var modelType: String
    /// The Swift type of the optimizer whose state was saved (restoring requires the same type, since
    /// the state of one optimizer means something else to another).
    public var optimizerType: String
    /// The loop's configuration.
    public var configuration: TrainingLoopConfiguration
    /// The learning rate the schedule starts from.
    public var baseLearningRate: Double
    /// Completed epochs.
    public var epoch: Int
    /// Completed optimizer steps of the loop.
    public var step: Int
    /// The optimizer's own step count (bias correction in Adam).
    public var optimizerSteps: Int
    /// The four words of the random generator's state.
    public var generatorState: [UInt64]
    /// The record of every completed epoch.
    public var history: [TrainingLoopRecord]
    /// The lowest validation loss so far, when there was validation.
    public var bestValidationLoss: Double?
    /// Epochs since the validation loss last improved.
    public var epochsWithoutImprovement: Int
    /// The model's description (``Trainer/network``), when the trainer had one: then
    /// `feedforward evaluate` and `predict` can run the model.
    public var network: NetworkDescription?

    /// The description stored in `file`, or nil when the file is not a ``Trainer`` checkpoint.
    /// - Throws: ``CheckpointError`` (naming `path`) when the description is there but malformed,
    ///   of another version, or out of range.
    public static func read(from file: SafeTensorsFile, path: String) throws -> TrainerCheckpointHeader? {
        guard let json = file.metadata?[metadataKey] else { return nil }
        func fail(_ message: String) -> CheckpointError { CheckpointError(path: path, message: message) }
        let header: TrainerCheckpointHeader
        do {
            header = try JSONDecoder().decode(TrainerCheckpointHeader.self, from: Data(json.utf8))
        } catch {
            throw fail("the trainer checkpoint description is malformed: \(error)")
        }
        guard header.format == formatVersion else {
            throw fail("trainer checkpoint format \(header.format) is not supported (expected \(formatVersion))")
        }
        let configuration = header.configuration
        guard [header.epoch, header.step, header.optimizerSteps, header.epochsWithoutImprovement].allSatisfy({ $0 >= 0 }),
              configuration.epochs >= 0, configuration.batchSize >= 1,
              header.baseLearningRate.isFinite, header.baseLearningRate >= 0,
              configuration.gradientClipNorm.map({ $0.isFinite && $0 > 0 }) ?? true,
              configuration.earlyStoppingPatience.map({ $0 >= 0 }) ?? true,
              TrainingSession.isValid(configuration.schedule, depth: 0)
        else {
            throw fail("the trainer checkpoint's configuration or counters are out of range")
        }
        return header
    }
}

extension Trainer {
    static var modelPrefix: String { "model." }
    static var optimizerPrefix: String { "optimizer." }
    static var bestPrefix: String { "best." }

    /// Writes the model, the optimizer's state, the best weights, the loop's progress (epoch, step,
    /// random state, history, early-stopping counters) and ``network`` to a safetensors file,
    /// atomically. A trainer built with the same model type and loss and restored from it continues
    /// bit for bit as this one.
    /// - Throws: `DataError` of kind `.io`; ``CheckpointError`` when ``network`` describes other
    ///   parameters than the model has.
    public func save(to url: URL) throws {
        if let network, let problem = Model.Scalar.self != Float.self
            ? "the network a specification builds has Float parameters, the model \(Model.Scalar.self)"
            : TrainingSession.mismatch(of: model.parameters.map { (name: $0.name, shape: $0.value.shape) }, with: network.specification) {
            throw CheckpointError(path: url.path, message: "Trainer.network does not describe the model: \(problem)")
        }
        var tensors = optimizer.stateEntries(prefix: Self.optimizerPrefix)
        for (name, value) in model.parameters { tensors[Self.modelPrefix + name] = value.safeTensorsEntry }
        for (name, value) in bestModel?.parameters ?? [] { tensors[Self.bestPrefix + name] = value.safeTensorsEntry }
        let header = TrainerCheckpointHeader(
            modelType: String(describing: Model.self), optimizerType: String(describing: type(of: optimizer)),
            configuration: configuration,
            baseLearningRate: baseLearningRate, epoch: epoch, step: step, optimizerSteps: optimizer.stepCount,
            generatorState: generator.state, history: history, bestValidationLoss: bestValidationLoss,
            epochsWithoutImprovement: epochsWithoutImprovement, network: network)
        let json = String(decoding: try JSONEncoder().encode(header), as: UTF8.self)
        try SafeTensors.write(SafeTensorsFile(tensors: tensors, metadata: [TrainerCheckpointHeader.metadataKey: json]), to: url)
    }

    /// Replaces the model, optimizer state, configuration and progress with those saved by
    /// ``save(to:)``. The trainer must have been built with the same model type (every stored
    /// parameter must fit a parameter of ``model``) and an optimizer of the same type, whose
    /// hyperparameters (momentum, betas, …) are used; the loss closure is this trainer's. Nothing
    /// changes when the file does not fit.
    /// - Throws: `DataError` when the file is not a well-formed safetensors file; ``CheckpointError``
    ///   naming the file and the first thing that does not fit.
    public mutating func restore(from url: URL) throws {
        let file = try SafeTensors.read(contentsOf: url)
        func fail(_ message: String) -> CheckpointError { CheckpointError(path: url.path, message: message) }
        guard let header = try TrainerCheckpointHeader.read(from: file, path: url.path) else {
            throw fail("not a Trainer checkpoint (no '\(TrainerCheckpointHeader.metadataKey)' metadata)")
        }
        let optimizerType = String(describing: type(of: optimizer))
        guard header.optimizerType == optimizerType else {
            throw fail("the checkpoint holds the state of an optimizer of type \(header.optimizerType), this trainer's optimizer is a \(optimizerType)")
        }
        guard let restoredGenerator = SeededRandomNumberGenerator(state: header.generatorState) else {
            throw fail("the random generator state is invalid (it must be four words, not all zero)")
        }
        if let unknown = file.tensors.keys.sorted().first(where: {
            !$0.hasPrefix(Self.modelPrefix) && !$0.hasPrefix(Self.optimizerPrefix) && !$0.hasPrefix(Self.bestPrefix)
        }) {
            throw fail("unexpected tensor '\(unknown)' (trainer checkpoint tensors are named model.*, optimizer.* or best.*)")
        }
        func parameters(_ prefix: String) -> SafeTensorsFile {
            SafeTensorsFile(tensors: Dictionary(uniqueKeysWithValues: file.tensors.compactMap { name, entry in
                name.hasPrefix(prefix) ? (String(name.dropFirst(prefix.count)), entry) : nil
            }))
        }
        var restoredModel = model
        var restoredBest: Model?
        var restoredOptimizer = optimizer
        do {
            try restoredModel.loadParameters(from: parameters(Self.modelPrefix))
            let best = parameters(Self.bestPrefix)
            if !best.tensors.isEmpty {
                var bestModel = model
                try bestModel.loadParameters(from: best)
                restoredBest = bestModel
            }
        } catch {
            throw fail("the model does not fit the checkpoint: \(error.description)")
        }
        do {
            try restoredOptimizer.restoreState(
                from: file.tensors, prefix: Self.optimizerPrefix, stepCount: header.optimizerSteps, for: restoredModel)
        } catch {
            throw fail(error.message)
        }
        model = restoredModel
        bestModel = restoredBest
        optimizer = restoredOptimizer
        configuration = header.configuration
        baseLearningRate = header.baseLearningRate
        optimizer.learningRate = header.configuration.schedule.learningRate(at: header.step, base: header.baseLearningRate)
        generator = restoredGenerator
        epoch = header.epoch
        step = header.step
        history = header.history
        bestValidationLoss = header.bestValidationLoss
        epochsWithoutImprovement = header.epochsWithoutImprovement
        network = header.network
    }
}
