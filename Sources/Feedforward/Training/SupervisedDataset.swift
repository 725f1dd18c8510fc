/// What a network is asked to predict.
public enum SupervisedTargets: Sendable, Equatable {
    /// Class indices in `0..<classCount`.
    case classes([Int], classCount: Int)
    /// Real-valued targets, shape `[count, targetSize]`.
    case values(Tensor<Float>)

    /// The number of examples.
    public var count: Int {
        switch self {
        case .classes(let labels, _): return labels.count
        case .values(let values): return values.shape[0]
        }
    }

    /// The targets of the examples at `indices`, in that order.
    public func gathering(_ indices: [Int]) -> SupervisedTargets {
        switch self {
        case .classes(let labels, let classCount): return .classes(indices.map { labels[$0] }, classCount: classCount)
        case .values(let values): return .values(values.gatheringRows(indices))
        }
    }
}

/// Examples as a feature matrix `[count, featureCount]` with their targets.
public struct SupervisedDataset: Sendable {
    public var features: Tensor<Float>
    public var targets: SupervisedTargets
    /// Names of the classes, when the targets are classes.
    public var classNames: [String]

    public init(features: Tensor<Float>, targets: SupervisedTargets, classNames: [String] = []) {
        precondition(features.rank == 2 && features.shape[0] == targets.count,
            "SupervisedDataset: features \(features.shape) for \(targets.count) targets")
        self.features = features
        self.targets = targets
        self.classNames = classNames
    }

    /// Images flattened to rows of pixels in [0, 1].
    public init(_ images: LabeledImages, classNames: [String] = []) {
        self.init(
            features: Tensor(shape: images.shape, scalars: images.images),
            targets: .classes(images.labels.map(Int.init), classCount: images.classCount), classNames: classNames)
    }

    /// A table of numeric features with class or value targets.
    public init(_ table: TabularDataset) {
        let features = Tensor(shape: table.shape, scalars: table.features)
        switch table.targets {
        case .classes(let labels, let names):
            self.init(features: features, targets: .classes(labels.map(Int.init), classCount: names.count), classNames: names)
        case .values(let values):
            self.init(features: features, targets: .values(Tensor(shape: [values.count, 1], scalars: values)))
        }
    }

    /// The number of examples.
    public var count: Int { features.shape[0] }
    /// The number of features per example.
    public var featureCount: Int { features.shape[1] }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> SupervisedDataset {
        SupervisedDataset(features: features.gatheringRows(indices), targets: targets.gathering(indices), classNames: classNames)
    }

    /// The dataset with every feature standardised by `standardizer`.
    public func standardized(by standardizer: Standardizer) -> SupervisedDataset {
        var copy = self
        copy.features = Tensor(shape: features.shape, scalars: standardizer.transform(features.scalars))
        return copy
    }
}
