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
    /// The mean of the batch losses over the epoch's training examples (in training mode): the data
    /// loss that the loss closure returns, without ``Trainer/penalty`` (as PyTorch reports its
    /// criterion), so that it compares with ``validationLoss``.
    public var trainLoss: Double
    /// The mean over the epoch's training examples of ``Trainer/penalty`` (a weight penalty), which
    /// the gradients include and ``trainLoss`` does not (Keras reports their sum); nil without one.
    public var trainPenalty: Double?
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
    /// A term of the parameters alone added to every batch's loss before differentiating, such as
    /// ``l2Penalty(_:strength:includingBiases:)``. It is kept apart from ``loss`` so that the losses the
    /// trainer reports (``TrainingLoopRecord/trainLoss``, progress, ``meanLoss(on:)``) are the data
    /// loss, comparable between training and validation; ``TrainingLoopRecord/trainPenalty`` reports it.
    public var penalty: (@Sendable (Model) -> Tensor<Model.Scalar>)?
    /// The processes that train this model together, data-parallel; one process by default. Every
    /// rank must hold the same model, optimizer, configuration and generator state and the same
    /// examples: each epoch all ranks draw the same order, each computes the loss and gradients of
    /// its share of every batch (``TrainingSession/share(ofBatchOf:rank:size:)``), and one allreduce
    /// per step sums them, weighted by the shares, into those of the whole batch.
    public var communicator: any Communicator = SingleProcessCommunicator()
    /// What the model is, when it is a network a ``NetworkSpecification`` builds, with the
    /// preprocessing of its inputs; saved in checkpoints, so that `feedforward evaluate`, `predict`
    /// and `info` can run and describe them (``TrainingSession/loadForInference(from:)``).
    public var network: NetworkDescription?
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
    /// `examples` names the type of the training examples, which fixes the batch type `loss` takes;
    /// `penalty`, when given, is added to the loss for the gradients (see ``penalty``).
    public init(
        model: Model, optimizer: any Optimizer<Model.Scalar>, examples: Examples.Type = Examples.self,
        configuration: TrainingLoopConfiguration = TrainingLoopConfiguration(), seed: UInt64 = 0,
        penalty: (@Sendable (Model) -> Tensor<Model.Scalar>)? = nil,
        loss: @escaping @Sendable (Model, Examples.Batch) -> Tensor<Model.Scalar>
    ) {
        self.model = model
        self.optimizer = optimizer
        self.configuration = configuration
        self.generator = SeededRandomNumberGenerator(seed: seed)
        self.baseLearningRate = optimizer.learningRate
        self.penalty = penalty
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
        var penaltySum = 0.0
        var seen = 0
        for (index, indices) in batches.enumerated() {
            optimizer.learningRate = configuration.schedule.learningRate(at: step, base: baseLearningRate)
            var (lossValue, penaltyValue, gradients) = lossAndGradients(ofBatchAt: indices, in: training)
            if let limit = configuration.gradientClipNorm { gradients.clipByGlobalNorm(Model.Scalar(limit)) }
            guard lossValue.isFinite, penaltyValue.isFinite else {
                throw .nonFiniteLoss(epoch: epoch + 1, step: step + 1, value: lossValue.isFinite ? penaltyValue : lossValue)
            }
            optimizer.update(&model, along: gradients)
            step += 1
            lossSum += lossValue * Double(indices.count)
            penaltySum += penaltyValue * Double(indices.count)
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
            epoch: epoch, trainLoss: lossSum / Double(seen), trainPenalty: penalty == nil ? nil : penaltySum / Double(seen),
            validationLoss: validationLoss,
            learningRate: optimizer.learningRate, seconds: seconds, samplesPerSecond: Double(seen) / Swift.max(seconds, 1e-9))
        history.append(record)
        return record
    }

    /// The data loss of the batch of `training` at `indices`, the value of ``penalty`` (0 without
    /// one) and the gradients of their sum, in training mode. With several ranks (``communicator``)
    /// this rank computes its share of the batch (zero gradients for an empty share, so that it still
    /// takes part) and one fused allreduce sums every rank's figures, weighted by its share, into
    /// those of the whole batch; with one, exactly those of the whole batch.
    mutating func lossAndGradients(
        ofBatchAt indices: [Int], in training: Examples
    ) -> (loss: Double, penalty: Double, gradients: ParameterGradients<Model.Scalar>) {
        let size = communicator.size
        let share = size == 1
            ? indices : Array(indices[TrainingSession.share(ofBatchOf: indices.count, rank: communicator.rank, size: size)])
        var figures: [Model.Scalar] = [0, 0]
        var gradients: ParameterGradients<Model.Scalar>
        if share.isEmpty {
            let parameters = model.parameters
            gradients = ParameterGradients(names: parameters.map(\.name), tensors: parameters.map { Tensor.zeros(like: $0.value) })
        } else {
            (figures, gradients) = Self.lossAndGradients(
                of: model, on: training.batch(at: share), loss: loss, penalty: penalty, generator: &generator)
        }
        guard size > 1 else { return (Double(figures[0]), Double(figures[1]), gradients) }
        let weight = Model.Scalar(share.count) / Model.Scalar(indices.count)
        figures = figures.map { $0 * weight }
        communicator.allreduceSum(&gradients, weightedBy: weight, alongWith: &figures)
        return (Double(figures[0]), Double(figures[1]), gradients)
    }

    /// The data loss and penalty of `model` on `batch` and the gradients of their sum, in training
    /// mode. No copy of the model outlives the call, so the optimizer can then update the parameters
    /// in place.
    static func lossAndGradients(
        of model: Model, on batch: Examples.Batch, loss: (Model, Examples.Batch) -> Tensor<Model.Scalar>,
        penalty: ((Model) -> Tensor<Model.Scalar>)?, generator: inout SeededRandomNumberGenerator
    ) -> (figures: [Model.Scalar], gradients: ParameterGradients<Model.Scalar>) {
        var figures: [Model.Scalar] = [0, 0]
        let gradients = LearningPhase.training(using: &generator) {
            valueWithGradient(at: model) { model in
                let value = loss(model, batch)
                figures[0] = value.scalar
                guard let penalty else { return value }
                let term = penalty(model)
                figures[1] = term.scalar
                return value + term
            }.gradients
        }
        return (figures, gradients)
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

    /// The mean loss of ``model`` over `examples` (the data loss, without ``penalty``), in batches of
    /// the configured size, in inference mode and without recording gradients. Each batch's loss is
    /// weighted by its number of examples.
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
