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
///
/// Images are kept as bytes (a quarter of the memory of floats) and converted to `Float` in [0, 1] a
/// batch at a time by ``features(at:)``.
public struct SupervisedDataset: Sendable {
    enum Storage: Sendable {
        case floats(Tensor<Float>)
        /// Row-major bytes, scaled by 1/255 when read.
        case bytes([UInt8])
    }

    var storage: Storage
    /// The number of features per example.
    public let featureCount: Int
    /// The target of each example: class labels or real values.
    public var targets: SupervisedTargets
    /// Names of the classes, when the targets are classes.
    public var classNames: [String]

    /// A dataset of `features`, `[count, featureCount]`, and one target per row.
    public init(features: Tensor<Float>, targets: SupervisedTargets, classNames: [String] = []) {
        precondition(features.rank == 2 && features.shape[0] == targets.count,
            "SupervisedDataset: features \(features.shape) for \(targets.count) targets")
        storage = .floats(features.detached())
        featureCount = features.shape[1]
        self.targets = targets
        self.classNames = classNames
    }

    /// Images flattened to rows of pixels in [0, 1].
    public init(_ images: LabeledImages, classNames: [String] = []) {
        storage = .bytes(images.pixels)
        featureCount = images.pixelCount
        targets = .classes(images.labels.map(Int.init), classCount: images.classCount)
        self.classNames = classNames
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
    public var count: Int { targets.count }

    /// All features as one `[count, featureCount]` matrix (materialised for byte-backed images).
    public var features: Tensor<Float> {
        switch storage {
        case .floats(let tensor): return tensor
        case .bytes: return features(at: Array(0..<count))
        }
    }

    /// The features of the examples at `indices`, in that order, as a `[indices.count, featureCount]` matrix.
    public func features(at indices: [Int]) -> Tensor<Float> {
        switch storage {
        case .floats(let tensor):
            return tensor.gatheringRows(indices)
        case .bytes(let bytes):
            let width = featureCount
            let values = [Float](unsafeUninitializedCapacity: indices.count * width) { target, initialized in
                for index in indices {
                    precondition(index >= 0 && index < count, "features(at:): index \(index) is out of range 0..<\(count)")
                }
                if let target = target.baseAddress {
                    bytes.withUnsafeBufferPointer { source in
                        gatherBytes(source.baseAddress!, width: width, rows: indices, to: target, scale: 1 / 255)
                    }
                }
                initialized = indices.count * width
            }
            return Tensor(shape: [indices.count, width], scalars: values)
        }
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> SupervisedDataset {
        var copy = self
        copy.targets = targets.gathering(indices)
        switch storage {
        case .floats(let tensor):
            copy.storage = .floats(tensor.gatheringRows(indices))
        case .bytes(let bytes):
            var picked: [UInt8] = []
            picked.reserveCapacity(indices.count * featureCount)
            for index in indices { picked.append(contentsOf: bytes[(index * featureCount)..<((index + 1) * featureCount)]) }
            copy.storage = .bytes(picked)
        }
        return copy
    }

    /// The dataset with every feature standardised by `standardizer`.
    public func standardized(by standardizer: Standardizer) -> SupervisedDataset {
        var copy = self
        copy.storage = .floats(Tensor(shape: [count, featureCount], scalars: standardizer.transform(features.scalars)))
        return copy
    }
}
