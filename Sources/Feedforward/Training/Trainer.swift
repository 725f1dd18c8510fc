import Foundation

/// How ``Trainer`` runs: epochs, batches, schedule, clipping and early stopping.
public struct TrainingLoopConfiguration: Sendable, Equatable, Codable {
    /// The number of passes over the training examples.
    public var epochs = 10
    /// The number of examples per optimizer step.
    public var batchSize = 32
    /// Whether each epoch visits the examples in a new random order (drawn from the trainer's
    /// seeded generator); otherwise in index order.
    public var shufflesExamples = true
    /// Whether an epoch skips the last minibatch when it would be smaller than ``batchSize``.
    public var dropsLastPartialBatch = false
    /// The learning rate at each step, from the optimizer's learning rate when the trainer was made.
    public var schedule = LearningRateSchedule.constant
    /// Gradients are scaled to at most this global norm, when set.
    public var gradientClipNorm: Double?
    /// Training stops when the validation loss has not improved for this many epochs, when set.
    public var earlyStoppingPatience: Int?
    /// Whether ``Trainer/fit(on:validation:checkpoint:log:epochEnded:progress:)`` ends with the
    /// weights of the epoch with the lowest validation loss (Keras's `restore_best_weights`).
    public var restoresBestWeights = true

    /// The defaults: 10 epochs of shuffled batches of 32, constant rate, best weights restored.
    public init() {}
}

/// The figures of one epoch of a ``Trainer``, as written to its JSON Lines log.
public struct TrainingLoopRecord: Sendable, Equatable, Codable {
    /// The epoch, from 1.
    public var epoch: Int
    /// The mean of the batch losses over the epoch's training examples (in training mode).
    public var trainLoss: Double
    /// The loss on the validation examples after the epoch, when there are some.
    public var validationLoss: Double?
    /// The learning rate of the epoch's last step.
    public var learningRate: Double
    /// The wall-clock time of the epoch's updates.
    public var seconds: Double
    /// Training examples per second over the epoch.
    public var samplesPerSecond: Double
}

/// A training loop for any ``Layer`` model and any loss: minibatches drawn from a ``BatchSource``
/// in a seeded random order, an ``Optimizer``, a learning-rate schedule, gradient clipping,
/// validation, early stopping with the best weights restored, progress reports, a JSON Lines log
/// and checkpoints that resume exactly (see ``save(to:)`` and ``restore(from:)``).
///
/// The loss closure receives the model and one batch and returns a scalar tensor, the mean loss of
/// the batch:
///
/// ```swift
/// var trainer = Trainer(
///     model: model, optimizer: Adam<Float>(learningRate: 0.01), examples: LabeledExamples<Float>.self
/// ) { model, batch in
///     crossEntropy(logits: model(batch.inputs), labels: batch.labels)
/// }
/// trainer.configuration.epochs = 20
/// try trainer.fit(on: training, validation: validation)
/// let trained = trainer.model
/// ```
public struct Trainer<Model: Layer, Examples: BatchSource>: Sendable {
    /// The model being trained; updated in place by every step.
    public var model: Model
    /// The optimizer and its state.
    public var optimizer: any Optimizer<Model.Scalar>
    /// How the loop runs; it may be changed between epochs.
    public var configuration: TrainingLoopConfiguration
    /// The randomness of shuffling and of training-mode layers such as dropout.
    public var generator: SeededRandomNumberGenerator
    /// The learning rate the schedule starts from (the optimizer's rate when the trainer was made).
    public var baseLearningRate: Double
    /// The loss of a model on one batch: a scalar tensor, the mean over the batch's examples.
    public let loss: @Sendable (Model, Examples.Batch) -> Tensor<Model.Scalar>
    /// Completed epochs.
    public internal(set) var epoch = 0
    /// Completed optimizer steps.
    public internal(set) var step = 0
    /// The record of every completed epoch.
    public internal(set) var history: [TrainingLoopRecord] = []
    /// The lowest validation loss after an epoch so far, when there was validation.
    public internal(set) var bestValidationLoss: Double?
    /// The model as it was after the epoch with the lowest validation loss.
    public internal(set) var bestModel: Model?
    /// Epochs since the validation loss last improved.
    public internal(set) var epochsWithoutImprovement = 0

    /// A trainer for `model` with `optimizer`, shuffling with a generator seeded by `seed`.
    /// `examples` names the type of the training examples, which fixes the batch type `loss` takes.
    public init(
        model: Model, optimizer: any Optimizer<Model.Scalar>, examples: Examples.Type = Examples.self,
        configuration: TrainingLoopConfiguration = TrainingLoopConfiguration(), seed: UInt64 = 0,
        loss: @escaping @Sendable (Model, Examples.Batch) -> Tensor<Model.Scalar>
    ) {
        self.model = model
        self.optimizer = optimizer
        self.configuration = configuration
        self.generator = SeededRandomNumberGenerator(seed: seed)
        self.baseLearningRate = optimizer.learningRate
        self.loss = loss
    }

    /// Whether all epochs are done or early stopping has triggered.
    public var isFinished: Bool {
        if epoch >= configuration.epochs { return true }
        if let patience = configuration.earlyStoppingPatience, epochsWithoutImprovement >= patience { return true }
        return false
    }

    /// Runs one epoch of minibatch updates over `training`, then computes the loss on `validation`
    /// and tracks the best weights; `progress` is called after every step.
    /// - Throws: ``TrainingError/nonFiniteLoss(epoch:step:value:)`` when a batch loss is NaN or
    ///   infinite (the model keeps the last finite step), ``TrainingError/incompatibleData(_:)``
    ///   when there is no batch to train on.
    @discardableResult
    public mutating func trainEpoch(
        on training: Examples, validation: Examples? = nil, progress: ((BatchProgress) -> Void)? = nil
    ) throws(TrainingError) -> TrainingLoopRecord {
        let batchSize = configuration.batchSize
        precondition(batchSize > 0, "Trainer: the batch size must be positive, got \(batchSize)")
        let indices = Array(0..<training.count)
        let batches = configuration.shufflesExamples
            ? Minibatching.shuffledBatches(
                of: indices, batchSize: batchSize, dropLast: configuration.dropsLastPartialBatch, using: &generator)
            : Minibatching.batchRanges(count: indices.count, batchSize: batchSize, dropLast: configuration.dropsLastPartialBatch)
                .map { Array($0) }
        guard !batches.isEmpty else {
            throw .incompatibleData("the training examples (\(training.count)) make no batch of \(batchSize)")
        }
        let start = Date()
        var lossSum = 0.0
        var seen = 0
        for (index, indices) in batches.enumerated() {
            optimizer.learningRate = configuration.schedule.learningRate(at: step, base: baseLearningRate)
            let batch = training.batch(at: indices)
            // The closure sees copies, not `self`, which is being mutated around it.
            let (loss, current) = (self.loss, model)
            var stepGenerator = generator
            let (value, unclipped) = LearningPhase.training(using: &stepGenerator) {
                valueWithGradient(at: current) { model in loss(model, batch) }
            }
            generator = stepGenerator
            var gradients = unclipped
            if let limit = configuration.gradientClipNorm { gradients.clipByGlobalNorm(Model.Scalar(limit)) }
            let lossValue = Double(value.scalar)
            guard lossValue.isFinite else {
                throw .nonFiniteLoss(epoch: epoch + 1, step: step + 1, value: lossValue)
            }
            optimizer.update(&model, along: gradients)
            step += 1
            lossSum += lossValue * Double(indices.count)
            seen += indices.count
            progress?(BatchProgress(
                epoch: epoch + 1, epochs: configuration.epochs, batch: index + 1, batches: batches.count,
                lossSum: lossSum, seen: seen, since: start))
        }
        let seconds = Date().timeIntervalSince(start)
        epoch += 1
        let validationLoss = validation.map { meanLoss(on: $0) }
        if let validationLoss {
            if validationLoss < (bestValidationLoss ?? .infinity) {
                bestValidationLoss = validationLoss
                bestModel = model
                epochsWithoutImprovement = 0
            } else {
                epochsWithoutImprovement += 1
            }
        }
        let record = TrainingLoopRecord(
            epoch: epoch, trainLoss: lossSum / Double(seen), validationLoss: validationLoss,
            learningRate: optimizer.learningRate, seconds: seconds, samplesPerSecond: Double(seen) / Swift.max(seconds, 1e-9))
        history.append(record)
        return record
    }

    /// Trains until ``isFinished``: after each epoch it appends the record to the JSON Lines file
    /// `log`, saves a checkpoint to `checkpoint` (both when given) and calls `epochEnded` (a trailing
    /// closure); `progress` is called after every step. At the end
    /// it restores the best weights when ``TrainingLoopConfiguration/restoresBestWeights`` is set
    /// and there was validation. Calling it on a restored trainer continues where the saved one was.
    /// - Returns: the records of the epochs this call ran.
    /// - Throws: ``TrainingError`` from an epoch, the error of writing the log or checkpoint, or the
    ///   error `epochEnded` throws (training stops there).
    @discardableResult
    public mutating func fit(
        on training: Examples, validation: Examples? = nil, checkpoint: URL? = nil, log: URL? = nil,
        epochEnded: ((TrainingLoopRecord) throws -> Void)? = nil, progress: ((BatchProgress) -> Void)? = nil
    ) throws -> [TrainingLoopRecord] {
        let logFile = try log.map { try JSONLinesLog(url: $0) }
        var records: [TrainingLoopRecord] = []
        while !isFinished {
            let record = try trainEpoch(on: training, validation: validation, progress: progress)
            records.append(record)
            try logFile?.append(record)
            if let checkpoint { try save(to: checkpoint) }
            try epochEnded?(record)
        }
        if configuration.restoresBestWeights { restoreBestWeights() }
        return records
    }

    /// Replaces ``model`` with ``bestModel``, the weights of the epoch with the lowest validation
    /// loss, when there is one.
    public mutating func restoreBestWeights() {
        if let bestModel { model = bestModel }
    }

    /// The mean loss of ``model`` over `examples`, in batches of the configured size, in inference
    /// mode and without recording gradients. Each batch's loss is weighted by its number of examples.
    public func meanLoss(on examples: Examples) -> Double {
        var sum = 0.0
        withoutGradients {
            for range in Minibatching.batchRanges(count: examples.count, batchSize: configuration.batchSize) {
                sum += Double(loss(model, examples.batch(at: Array(range))).scalar) * Double(range.count)
            }
        }
        return sum / Double(Swift.max(examples.count, 1))
    }
}
