import Foundation

/// The optimizers a training session can use.
public enum OptimizerChoice: String, Sendable, Codable, CaseIterable {
    /// ``SGD`` without momentum, with momentum 0.9, with Nesterov momentum 0.9; ``RMSProp``; ``Adam``; AdamW.
    case sgd, momentum, nesterov, rmsprop, adam, adamw

    /// A fresh optimizer of this kind. `momentum` is the momentum of plain ``sgd`` (PyTorch's
    /// `SGD(momentum:)`): `.sgd` with momentum 0.9 is the ``momentum`` optimizer.
    public func makeOptimizer(learningRate: Double, momentum: Double = 0) -> any Optimizer<Float> {
        switch self {
        case .sgd: return SGD(learningRate: learningRate, momentum: momentum)
        case .momentum: return SGD(learningRate: learningRate, momentum: 0.9)
        case .nesterov: return SGD(learningRate: learningRate, momentum: 0.9, nesterov: true)
        case .rmsprop: return RMSProp(learningRate: learningRate)
        case .adam: return Adam(learningRate: learningRate)
        case .adamw: return Adam<Float>.adamW(learningRate: learningRate)
        }
    }
}

/// How a network is trained.
public struct TrainingOptions: Sendable, Equatable, Codable {
    /// The number of passes over the training data.
    public var epochs = 10
    /// The number of examples per optimizer step.
    public var batchSize = 128
    /// The optimizer.
    public var optimizer = OptimizerChoice.momentum
    /// The learning rate the schedule starts from.
    public var learningRate = 0.05
    /// The momentum of ``OptimizerChoice/sgd`` (0 for plain SGD).
    public var momentum = 0.0
    /// The learning rate at each step.
    public var schedule = LearningRateSchedule.constant
    /// The strength λ of the L2 penalty λΣw² on weights (not biases).
    public var weightDecay = 0.0
    /// Gradients are scaled to at most this global norm, when set.
    public var gradientClipNorm: Double?
    /// The seed of initialisation, shuffling, dropout and the validation split.
    public var seed: UInt64 = 0
    /// Training stops when the validation loss has not improved for this many epochs, when set.
    public var earlyStoppingPatience: Int?
    /// Whether training with early stopping (``earlyStoppingPatience``) puts back, when it ends
    /// (stopped early or at the last epoch), the parameters of the epoch with the lowest validation
    /// loss, as Keras's `EarlyStopping(restore_best_weights=True)`.
    public var restoresBestParameters = true
    /// The fraction of the training data held out for validation (with ``seed``, it fixes the split,
    /// so resuming and evaluating use the same one).
    public var validationFraction = 0.0
    /// The fraction of a CSV file held out as test data when no separate test file is given (with
    /// ``seed``, it fixes the split, so evaluating a split later uses the same one).
    public var testFraction = 0.2
    /// Whether an epoch skips the last minibatch when it would be smaller than ``batchSize``
    /// (PyTorch's `drop_last`).
    public var dropsLastPartialBatch = false

    /// The defaults: 10 epochs of batches of 128, SGD with momentum 0.9 at 0.05.
    public init() {}

    /// Decodes options, taking the defaults for keys that checkpoints written before they existed lack.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = TrainingOptions()
        epochs = try container.decodeIfPresent(Int.self, forKey: .epochs) ?? defaults.epochs
        batchSize = try container.decodeIfPresent(Int.self, forKey: .batchSize) ?? defaults.batchSize
        optimizer = try container.decodeIfPresent(OptimizerChoice.self, forKey: .optimizer) ?? defaults.optimizer
        learningRate = try container.decodeIfPresent(Double.self, forKey: .learningRate) ?? defaults.learningRate
        momentum = try container.decodeIfPresent(Double.self, forKey: .momentum) ?? defaults.momentum
        schedule = try container.decodeIfPresent(LearningRateSchedule.self, forKey: .schedule) ?? defaults.schedule
        weightDecay = try container.decodeIfPresent(Double.self, forKey: .weightDecay) ?? defaults.weightDecay
        gradientClipNorm = try container.decodeIfPresent(Double.self, forKey: .gradientClipNorm)
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
        earlyStoppingPatience = try container.decodeIfPresent(Int.self, forKey: .earlyStoppingPatience)
        restoresBestParameters = try container.decodeIfPresent(Bool.self, forKey: .restoresBestParameters) ?? false
        validationFraction = try container.decodeIfPresent(Double.self, forKey: .validationFraction) ?? defaults.validationFraction
        testFraction = try container.decodeIfPresent(Double.self, forKey: .testFraction) ?? defaults.testFraction
        dropsLastPartialBatch = try container.decodeIfPresent(Bool.self, forKey: .dropsLastPartialBatch) ?? defaults.dropsLastPartialBatch
    }
}

/// The figures of one epoch, as written to the JSON Lines log.
public struct EpochRecord: Sendable, Equatable, Codable {
    /// The epoch, from 1.
    public var epoch: Int
    /// The mean of the batch losses over the epoch, in training mode: the data loss (the output
    /// unit's cost), without the L2 penalty, as PyTorch reports its criterion, so that it compares
    /// with the validation and test losses.
    public var trainLoss: Double
    /// The mean over the epoch's batches of the L2 penalty λΣw² (``TrainingOptions/weightDecay``),
    /// which the gradients include and ``trainLoss`` does not (Keras reports their sum); nil without
    /// a penalty.
    public var trainPenalty: Double?
    /// Loss and metrics on the training data after the epoch, when asked for.
    public var train: EvaluationResult?
    /// Loss and metrics on the validation data after the epoch, when there is some.
    public var validation: EvaluationResult?
    /// The learning rate of the epoch's last step.
    public var learningRate: Double
    /// The wall-clock time of the epoch's updates.
    public var seconds: Double
    /// Training examples per second over the epoch.
    public var samplesPerSecond: Double
}

/// Progress within an epoch, reported after each minibatch.
public struct BatchProgress: Sendable {
    /// The epoch being run, from 1.
    public var epoch: Int
    /// The number of epochs planned.
    public var epochs: Int
    /// The minibatch just done, from 1.
    public var batch: Int
    /// The number of minibatches in the epoch.
    public var batches: Int
    /// The mean loss of the epoch's batches so far.
    public var loss: Double
    /// Examples per second so far in the epoch.
    public var samplesPerSecond: Double
    /// Seconds since the epoch started.
    public var elapsedSeconds: Double
}

extension BatchProgress {
    /// The progress of an epoch that started at `start`, after `batch` of its `batches` minibatches,
    /// whose `seen` examples summed to `lossSum`: one rule for every training loop.
    init(epoch: Int, epochs: Int, batch: Int, batches: Int, lossSum: Double, seen: Int, since start: Date) {
        let elapsed = Date().timeIntervalSince(start)
        self.init(
            epoch: epoch, epochs: epochs, batch: batch, batches: batches, loss: lossSum / Double(seen),
            samplesPerSecond: Double(seen) / Swift.max(elapsed, 1e-9), elapsedSeconds: elapsed)
    }
}

/// Why training stopped with an error.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The loss became NaN or infinite.
    case nonFiniteLoss(epoch: Int, step: Int, value: Double)
    /// The data does not fit the network.
    case incompatibleData(String)
    /// The network specification or the training options cannot be used (the message says why).
    case invalidConfiguration(String)
    /// Training the network would need more memory than the machine or process has; the estimate
    /// is nil when its size overflows 64-bit arithmetic.
    case insufficientMemory(required: MemoryEstimate?, available: SystemMemory)

    public var description: String {
        switch self {
        case .invalidConfiguration(let message):
            return message
        case .insufficientMemory(let required, let available):
            let need = required.map { "about \($0)" } ?? "more bytes than 64-bit arithmetic can count"
            return "training this network needs \(need), more than the \(available) this process may use; use fewer or smaller hidden layers, a smaller batch or an optimizer with less state"
        case .nonFiniteLoss(let epoch, let step, let value):
            return "the loss became \(value) at epoch \(epoch), step \(step); lower the learning rate or enable gradient clipping"
        case .incompatibleData(let message):
            return message
        }
    }
}

/// A network being trained, with everything needed to continue exactly where it stopped: parameters,
/// optimizer state, epoch, step and random generator state.
public struct TrainingSession: Sendable {
    /// The network's description, from which it is rebuilt when loaded.
    public var specification: NetworkSpecification
    /// How the network is trained.
    public var options: TrainingOptions
    /// The network.
    public var model: Sequential<Float>
    /// The optimizer and its state.
    public var optimizer: any Optimizer<Float>
    /// The randomness of shuffling and dropout, advanced as training goes.
    public var generator: SeededRandomNumberGenerator
    /// Completed epochs.
    public var epoch = 0
    /// Completed optimizer steps.
    public var step = 0
    /// The record of every completed epoch.
    public var history: [EpochRecord] = []
    /// Feature standardisation fitted on the training split. Every method that takes features
    /// (``trainEpoch(on:validation:evaluateTraining:progress:)``, ``evaluate(on:batchSize:)``,
    /// ``outputs(for:)``, ``predictions(for:)``) takes them raw and applies it.
    public var standardizer: Standardizer?
    /// The processes training this network together (data-parallel: each takes its share of every
    /// batch); a world of one process by default. See ``synchronize(over:from:)`` and ``load(from:over:)``.
    public var communicator: any Communicator = SingleProcessCommunicator()
    /// Standardisation of regression targets fitted on the training split: the network learns
    /// standardised targets, and ``predictions(for:)`` and ``evaluate(on:batchSize:)`` undo it, so
    /// values go in and come out in the data's own units.
    public var targetStandardizer: Standardizer?
    /// How the columns of the training CSV file became features and targets (class names,
    /// categories, imputed values), when the data came from one.
    public var schema: TabularSchema?
    var bestValidationLoss = Double.infinity
    var epochsWithoutImprovement = 0
    /// The parameters of the epoch with the lowest validation loss so far (kept when
    /// ``TrainingOptions/restoresBestParameters`` is set).
    var bestParameters: [String: Tensor<Float>]?

    /// A session with a freshly initialised network (seeded by `options.seed`). The specification
    /// must describe a buildable network; for one that users supply, use
    /// ``init(validating:options:standardizer:targetStandardizer:schema:memory:)``, which checks it and
    /// the memory it needs first.
    public init(
        specification: NetworkSpecification, options: TrainingOptions, standardizer: Standardizer? = nil,
        targetStandardizer: Standardizer? = nil, schema: TabularSchema? = nil
    ) {
        self.specification = specification
        self.options = options
        self.standardizer = standardizer
        self.targetStandardizer = targetStandardizer
        self.schema = schema
        generator = SeededRandomNumberGenerator(seed: options.seed)
        model = specification.makeModel(generator: &generator)
        optimizer = options.optimizer.makeOptimizer(learningRate: options.learningRate, momentum: options.momentum)
    }

    /// Whether early stopping has triggered or all epochs are done.
    public var isFinished: Bool {
        if epoch >= options.epochs { return true }
        if let patience = options.earlyStoppingPatience, epochsWithoutImprovement >= patience { return true }
        return false
    }

    /// Checks that `dataset` fits the network: the same number of features, and the same number of
    /// classes (a dataset with fewer classes would map its labels onto the wrong outputs) or targets.
    public func validate(_ dataset: SupervisedDataset) throws(TrainingError) {
        guard dataset.featureCount == specification.inputSize else {
            throw .incompatibleData("the data has \(dataset.featureCount) features, the network takes \(specification.inputSize)")
        }
        switch (dataset.targets, specification.output.isClassifier) {
        case (.classes(_, let classCount), true):
            guard classCount == specification.targetSize else {
                throw .incompatibleData("the data has \(classCount) classes, the network predicts \(specification.targetSize)")
            }
        case (.values(let values), false):
            guard values.shape[1] == specification.targetSize else {
                throw .incompatibleData("the data has \(values.shape[1]) targets per example, the network predicts \(specification.targetSize)")
            }
        default:
            throw .incompatibleData("the output unit '\(specification.output)' does not fit \(specification.output.isClassifier ? "real-valued" : "class") targets")
        }
    }

    /// A ``Trainer`` over this session's network, loss and options: the loss of the output unit on
    /// standardised features and targets, the L2 penalty of ``TrainingOptions/weightDecay`` as the
    /// trainer's ``Trainer/penalty``, the schedule, clipping and batching of ``options``, and the
    /// session's communicator. Validation and early stopping stay with the session, which scores
    /// validation data with metrics (``evaluate(on:batchSize:)``).
    ///
    /// The trainer holds an empty model and a placeholder optimizer: ``withTrainer(_:)`` moves this
    /// session's into it.
    func makeTrainer() -> Trainer<Sequential<Float>, SupervisedDataset> {
        var configuration = TrainingLoopConfiguration()
        configuration.epochs = options.epochs
        configuration.batchSize = options.batchSize
        configuration.dropsLastPartialBatch = options.dropsLastPartialBatch
        configuration.schedule = options.schedule
        configuration.gradientClipNorm = options.gradientClipNorm
        let output = specification.output
        let (features, targets) = (self.standardizer, self.targetStandardizer)
        let strength = Float(options.weightDecay)
        var penalty: (@Sendable (Sequential<Float>) -> Tensor<Float>)?
        if strength > 0 { penalty = { model in l2Penalty(model, strength: strength) } }
        let loss: @Sendable (Sequential<Float>, SupervisedDataset.Batch) -> Tensor<Float> = { model, batch in
            output.loss(
                outputs: model(Self.standardized(batch.features, by: features)),
                targets: Self.standardized(batch.targets, by: targets))
        }
        var trainer = Trainer(
            model: Sequential<Float>([]), optimizer: SGD<Float>(learningRate: 0), examples: SupervisedDataset.self,
            configuration: configuration, penalty: penalty, loss: loss)
        trainer.baseLearningRate = options.learningRate
        trainer.generator = generator
        trainer.epoch = epoch
        trainer.step = step
        trainer.communicator = communicator
        return trainer
    }

    /// Runs `body` on a ``Trainer`` that holds this session's model, optimizer, random state and
    /// counters, and takes them back afterwards (also when `body` throws). They are moved, not
    /// copied, so that the optimizer still updates the parameters and its state in place.
    mutating func withTrainer<Result>(
        _ body: (inout Trainer<Sequential<Float>, SupervisedDataset>) throws -> Result
    ) rethrows -> Result {
        var trainer = makeTrainer()
        swap(&trainer.model, &model)
        swap(&trainer.optimizer, &optimizer)
        defer {
            swap(&model, &trainer.model)
            swap(&optimizer, &trainer.optimizer)
            generator = trainer.generator
            epoch = trainer.epoch
            step = trainer.step
        }
        return try body(&trainer)
    }

    /// Runs one epoch of minibatch updates over `training` (``Trainer``'s loop), then evaluates on
    /// `validation`, tracks the best parameters and stops early as ``options`` say.
    ///
    /// The record's ``EpochRecord/trainLoss`` is the data loss alone, comparable with the validation
    /// loss; the L2 penalty the gradients include is ``EpochRecord/trainPenalty``.
    @discardableResult
    public mutating func trainEpoch(
        on training: SupervisedDataset, validation: SupervisedDataset? = nil, evaluateTraining: Bool = false,
        progress: ((BatchProgress) -> Void)? = nil
    ) throws -> EpochRecord {
        try validate(training)
        if options.dropsLastPartialBatch && training.count < options.batchSize {
            throw TrainingError.incompatibleData(
                "the training data has \(training.count) examples, fewer than one batch of \(options.batchSize) with the last partial batch dropped")
        }
        let loop = try withTrainer { trainer in try trainer.trainEpoch(on: training, progress: progress) }
        let validationResult = validation.map { evaluate(on: $0) }
        if let validationResult {
            if validationResult.loss < bestValidationLoss {
                bestValidationLoss = validationResult.loss
                epochsWithoutImprovement = 0
                if options.restoresBestParameters && options.earlyStoppingPatience != nil {
                    bestParameters = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.value) })
                }
            } else {
                epochsWithoutImprovement += 1
            }
        }
        if isFinished, options.restoresBestParameters, let bestParameters {
            try model.loadParameters(bestParameters)
        }
        let record = EpochRecord(
            epoch: epoch, trainLoss: loop.trainLoss, trainPenalty: loop.trainPenalty,
            train: evaluateTraining ? evaluate(on: training) : nil, validation: validationResult,
            learningRate: loop.learningRate, seconds: loop.seconds, samplesPerSecond: loop.samplesPerSecond)
        history.append(record)
        return record
    }

    static func batchTargets(_ targets: SupervisedTargets, _ indices: [Int]) -> SupervisedTargetsBatch<Float> {
        switch targets.gathering(indices) {
        case .classes(let labels, _): return .classes(labels)
        case .values(let values): return .values(values)
        }
    }

    /// The network's raw outputs for raw `features` (standardised by ``standardizer`` first),
    /// without recording gradients. Regression outputs are in standardised target units; use
    /// ``predictions(for:)`` for values in the data's units.
    public func outputs(for features: Tensor<Float>) -> Tensor<Float> {
        let input = standardized(features)
        return withoutGradients { model(input) }
    }

    /// Point predictions for raw `features`: class scores for classifiers, values in the targets'
    /// own units for regression.
    public func predictions(for features: Tensor<Float>) -> Tensor<Float> {
        restored(specification.output.predictions(outputs: outputs(for: features), targetSize: specification.targetSize))
    }

    /// `features` standardised by ``standardizer`` (unchanged without one).
    func standardized(_ features: Tensor<Float>) -> Tensor<Float> {
        Self.standardized(features, by: standardizer)
    }

    /// `features` standardised by `standardizer` (unchanged without one).
    static func standardized(_ features: Tensor<Float>, by standardizer: Standardizer?) -> Tensor<Float> {
        guard let standardizer else { return features }
        precondition(features.rank == 2 && features.shape[1] == standardizer.featureCount,
            "TrainingSession: the network takes \(standardizer.featureCount) features per example, got inputs of shape \(features.shape)")
        return Tensor(shape: features.shape, scalars: standardizer.transform(features.scalars))
    }

    /// Batch targets with values standardised by ``targetStandardizer``.
    func standardized(_ targets: SupervisedTargetsBatch<Float>) -> SupervisedTargetsBatch<Float> {
        Self.standardized(targets, by: targetStandardizer)
    }

    /// Batch targets with values standardised by `targetStandardizer` (classes unchanged).
    static func standardized(
        _ targets: SupervisedTargetsBatch<Float>, by targetStandardizer: Standardizer?
    ) -> SupervisedTargetsBatch<Float> {
        guard case .values(let values) = targets, let targetStandardizer else { return targets }
        return .values(Tensor(shape: values.shape, scalars: targetStandardizer.transform(values.scalars)))
    }

    /// Network predictions in standardised target units mapped back to the targets' units.
    func restored(_ predictions: Tensor<Float>) -> Tensor<Float> {
        guard let targetStandardizer, !specification.output.isClassifier else { return predictions }
        return Tensor(shape: predictions.shape, scalars: targetStandardizer.inverseTransform(predictions.scalars))
    }

    /// Loss and metrics of the current network on `dataset` (in batches, without recording).
    public func evaluate(on dataset: SupervisedDataset, batchSize: Int = 1000) -> EvaluationResult {
        var lossSum = 0.0
        var classification: ClassificationMetrics?
        var regression: RegressionMetrics?
        var scoredLabels: [(score: Float, isPositive: Bool)] = []
        if case .classes(_, let classCount) = dataset.targets {
            classification = ClassificationMetrics(classCount: Swift.max(classCount, specification.targetSize))
        } else {
            regression = RegressionMetrics()
        }
        withoutGradients {
            for range in Minibatching.batchRanges(count: dataset.count, batchSize: batchSize) {
                let indices = Array(range)
                let features = standardized(dataset.features(at: indices))
                let targets = Self.batchTargets(dataset.targets, indices)
                let outputs = model(features)
                lossSum += Double(specification.output.loss(outputs: outputs, targets: standardized(targets)).scalar) * Double(indices.count)
                let predictions = restored(specification.output.predictions(outputs: outputs, targetSize: specification.targetSize))
                if case .classes(let labels) = targets, specification.targetSize == 2 {
                    let probabilities = softmax(predictions, alongAxis: 1).scalars
                    for (row, label) in labels.enumerated() { scoredLabels.append((probabilities[row * 2 + 1], label == 1)) }
                }
                switch targets {
                case .classes(let labels): classification?.add(scores: predictions, labels: labels)
                case .values(let values): regression?.add(predictions: predictions, targets: values)
                }
            }
        }
        return EvaluationResult(
            loss: lossSum / Double(Swift.max(dataset.count, 1)), count: dataset.count,
            classification: classification, regression: regression,
            rocAUC: scoredLabels.isEmpty ? nil : ClassificationMetrics.areaUnderROCCurve(scoredLabels))
    }
}
