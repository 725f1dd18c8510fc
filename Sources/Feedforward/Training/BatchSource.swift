/// Examples that a training loop draws minibatches from, by index.
///
/// ``Trainer`` shuffles the indices `0..<count` each epoch and asks for one batch at a time, so a
/// source decides how its examples are stored and what a batch is (a pair of tensors, tensors and
/// class labels, or anything the loss closure takes).
///
/// ```swift
/// let examples = TensorExamples(inputs: x, targets: y)   // x: [n, 3], y: [n, 1]
/// let (inputs, targets) = examples.batch(at: [4, 0, 7])    // [3, 3] and [3, 1]
/// ```
public protocol BatchSource<Batch>: Sendable {
    /// What the loss closure receives: the examples at some indices, gathered in their order.
    associatedtype Batch

    /// The number of examples.
    var count: Int { get }

    /// The examples at `indices` (each in `0..<count`), in that order.
    func batch(at indices: [Int]) -> Batch
}

/// Examples as two tensors whose first dimension indexes examples: inputs and real-valued targets.
public struct TensorExamples<Scalar: TensorScalar>: BatchSource {
    /// The inputs, `[count, …]`.
    public var inputs: Tensor<Scalar>
    /// The targets, `[count, …]`.
    public var targets: Tensor<Scalar>

    /// Pairs `inputs` with `targets`; both must have the same first dimension.
    public init(inputs: Tensor<Scalar>, targets: Tensor<Scalar>) {
        precondition(!inputs.shape.isEmpty && !targets.shape.isEmpty && inputs.shape[0] == targets.shape[0],
                     "TensorExamples: inputs \(inputs.shape) and targets \(targets.shape) must have the same first dimension")
        self.inputs = inputs
        self.targets = targets
    }

    /// The number of examples (the first dimension).
    public var count: Int { inputs.shape[0] }

    /// The rows of ``inputs`` and ``targets`` at `indices`.
    public func batch(at indices: [Int]) -> (inputs: Tensor<Scalar>, targets: Tensor<Scalar>) {
        (inputs.gatheringRows(indices), targets.gatheringRows(indices))
    }
}

/// Examples as an input tensor whose first dimension indexes examples and one class label each.
public struct LabeledExamples<Scalar: TensorScalar>: BatchSource {
    /// The inputs, `[count, …]`.
    public var inputs: Tensor<Scalar>
    /// The class of each example, from 0.
    public var labels: [Int]

    /// Pairs `inputs` with `labels`; there must be one label per row.
    public init(inputs: Tensor<Scalar>, labels: [Int]) {
        precondition(!inputs.shape.isEmpty && inputs.shape[0] == labels.count,
                     "LabeledExamples: \(labels.count) labels for inputs of shape \(inputs.shape)")
        self.inputs = inputs
        self.labels = labels
    }

    /// The number of examples.
    public var count: Int { labels.count }

    /// The rows of ``inputs`` and the labels at `indices`.
    public func batch(at indices: [Int]) -> (inputs: Tensor<Scalar>, labels: [Int]) {
        (inputs.gatheringRows(indices), indices.map { labels[$0] })
    }
}

extension SupervisedDataset: BatchSource {
    /// The features and targets at `indices`, ready for ``OutputUnit/loss(outputs:targets:)``.
    public func batch(at indices: [Int]) -> (features: Tensor<Float>, targets: SupervisedTargetsBatch<Float>) {
        switch targets.gathering(indices) {
        case .classes(let labels, _): return (features(at: indices), .classes(labels))
        case .values(let values): return (features(at: indices), .values(values))
        }
    }
}
