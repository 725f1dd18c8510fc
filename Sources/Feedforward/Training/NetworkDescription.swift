/// What a program needs to run a network from a checkpoint without its Swift code: the
/// ``NetworkSpecification`` that builds it and the preprocessing fitted on its training data.
///
/// A ``TrainingSession`` checkpoint always describes its network. A ``Trainer`` checkpoint does when
/// the trainer's model is a network that a specification builds and ``Trainer/network`` is set; then
/// `feedforward evaluate` and `predict` run it too (``TrainingSession/loadForInference(from:)``):
///
/// ```swift
/// var generator = SeededRandomNumberGenerator(seed: 1)
/// let specification = NetworkSpecification(
///     inputSize: 4, hiddenSizes: [16], activation: .relu, output: .softmax, targetSize: 3)
/// var trainer = Trainer(
///     model: specification.makeModel(generator: &generator), optimizer: Adam<Float>(learningRate: 0.01),
///     examples: SupervisedDataset.self
/// ) { model, batch in specification.output.loss(outputs: model(batch.features), targets: batch.targets) }
/// trainer.network = NetworkDescription(specification: specification)
/// try trainer.fit(on: training, checkpoint: URL(fileURLWithPath: "model.ckpt"))   // feedforward predict reads it
/// ```
public struct NetworkDescription: Sendable, Equatable, Codable {
    /// The network's sizes and units; its parameters are named as ``NetworkSpecification/makeModel(generator:)`` names them.
    public var specification: NetworkSpecification
    /// Standardisation of the raw features, applied before the network, when fitted.
    public var standardizer: Standardizer?
    /// Standardisation of regression targets: the network's outputs are mapped back through it.
    public var targetStandardizer: Standardizer?
    /// How the columns of a CSV file become features and targets, when the data came from one.
    public var schema: TabularSchema?

    /// A description of the network `specification` builds, with the preprocessing its inputs and
    /// outputs need (none by default: the network takes features as they are).
    public init(
        specification: NetworkSpecification, standardizer: Standardizer? = nil,
        targetStandardizer: Standardizer? = nil, schema: TabularSchema? = nil
    ) {
        self.specification = specification
        self.standardizer = standardizer
        self.targetStandardizer = targetStandardizer
        self.schema = schema
    }
}
