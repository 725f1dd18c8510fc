/// The targets of a tabular dataset: class labels or numeric values, one per row.
public enum TabularTargets: Equatable, Sendable {
    /// Class indices in `0..<classNames.count`; `classNames[i]` is the original label of class `i`.
    case classes(labels: [Int32], classNames: [String])
    /// Numeric targets for regression.
    case values([Float])

    /// The number of targets.
    public var count: Int {
        switch self {
        case .classes(let labels, _): return labels.count
        case .values(let values): return values.count
        }
    }

    /// The targets with the given indices, in that order.
    public func subset<Indices: Sequence>(_ indices: Indices) -> TabularTargets where Indices.Element == Int {
        switch self {
        case .classes(let labels, let names): return .classes(labels: indices.map { labels[$0] }, classNames: names)
        case .values(let values): return .values(indices.map { values[$0] })
        }
    }
}

/// A table of numeric features with one target per row, as plain row-major arrays.
///
/// `features` is a `count x featureCount` matrix stored row by row: a tensor of shape `shape`.
public struct TabularDataset: Equatable, Sendable {
    /// The name of each feature column.
    public var featureNames: [String]
    /// The features, row-major: row `i` is `features[i * featureCount ..< (i + 1) * featureCount]`.
    public var features: [Float]
    /// The target of each row.
    public var targets: TabularTargets

    /// Creates a dataset; `features.count` must be `targets.count * featureNames.count`.
    public init(featureNames: [String], features: [Float], targets: TabularTargets) {
        precondition(features.count == targets.count * featureNames.count,
                     "features.count must equal the number of rows times the number of features")
        self.featureNames = featureNames
        self.features = features
        self.targets = targets
    }

    /// The number of rows.
    public var count: Int { targets.count }

    /// The number of features per row.
    public var featureCount: Int { featureNames.count }

    /// The shape of `features`: `[count, featureCount]`.
    public var shape: [Int] { [count, featureCount] }

    /// The rows with the given indices, in that order.
    public func subset<Indices: Sequence>(_ indices: Indices) -> TabularDataset where Indices.Element == Int {
        let rows = Array(indices)
        var picked: [Float] = []
        picked.reserveCapacity(rows.count * featureCount)
        for i in rows {
            precondition(i >= 0 && i < count, "row \(i) out of range 0..<\(count)")
            picked.append(contentsOf: features[(i * featureCount)..<((i + 1) * featureCount)])
        }
        return TabularDataset(featureNames: featureNames, features: picked, targets: targets.subset(rows))
    }
}

/// Small datasets built into the library.
public enum BuiltinData {
    /// The four points of XOR: inputs (0,0), (0,1), (1,0), (1,1) with targets 0, 1, 1, 0.
    ///
    /// - Parameter asClasses: true for class labels 0/1 (class names "0" and "1"), false for
    ///   numeric targets 0.0/1.0 (regression, or a sigmoid output).
    public static func xor(asClasses: Bool = false) -> TabularDataset {
        let features: [Float] = [0, 0, 0, 1, 1, 0, 1, 1]
        let targets: TabularTargets = asClasses
            ? .classes(labels: [0, 1, 1, 0], classNames: ["0", "1"])
            : .values([0, 1, 1, 0])
        return TabularDataset(featureNames: ["x1", "x2"], features: features, targets: targets)
    }
}
