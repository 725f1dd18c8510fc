/// Per-feature standardisation: `(x - mean) / standardDeviation`.
///
/// Fit it on the training split only and apply the same value to every split, so that no
/// statistic of the validation or test data leaks into training:
/// ```swift
/// let standardizer = Standardizer(fitting: train.features, featureCount: train.featureCount)
/// train.features = standardizer.transform(train.features)
/// test.features = standardizer.transform(test.features)
/// ```
/// A feature with zero (or non-finite) spread in the training data keeps a divisor of 1, so it
/// becomes `x - mean`: constant training values map to 0 and nothing is divided by zero.
public struct Standardizer: Codable, Equatable, Sendable {
    /// The mean of each feature over the fitted rows.
    public var mean: [Float]
    /// The population standard deviation of each feature (1 where it was zero).
    public var standardDeviation: [Float]

    /// Creates a standardizer from known statistics.
    public init(mean: [Float], standardDeviation: [Float]) {
        precondition(mean.count == standardDeviation.count, "mean and standardDeviation must have the same count")
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// Fits the statistics of a row-major `rows x featureCount` matrix.
    public init(fitting features: [Float], featureCount: Int) {
        self = features.withUnsafeBufferPointer { Standardizer(fitting: $0, featureCount: featureCount) }
    }

    /// Fits the statistics of a row-major `rows x featureCount` matrix held elsewhere (a tensor's
    /// storage), without copying it.
    public init(fitting features: UnsafeBufferPointer<Float>, featureCount: Int) {
        precondition(featureCount > 0 && features.count % featureCount == 0,
                     "features.count must be a multiple of a positive featureCount")
        let rows = features.count / featureCount
        var sum = [Double](repeating: 0, count: featureCount)
        for r in 0..<rows {
            for f in 0..<featureCount { sum[f] += Double(features[r * featureCount + f]) }
        }
        let mean = sum.map { rows > 0 ? $0 / Double(rows) : 0 }
        var squares = [Double](repeating: 0, count: featureCount)
        for r in 0..<rows {
            for f in 0..<featureCount {
                let d = Double(features[r * featureCount + f]) - mean[f]
                squares[f] += d * d
            }
        }
        let deviation: [Float] = squares.map { total in
            let s = rows > 0 ? (total / Double(rows)).squareRoot() : 0
            return s > 1e-12 && s.isFinite ? Float(s) : 1
        }
        self.init(mean: mean.map { Float($0) }, standardDeviation: deviation)
    }

    /// The number of features.
    public var featureCount: Int { mean.count }

    /// Standardises a row-major matrix with `featureCount` columns.
    public func transform(_ features: [Float]) -> [Float] {
        var copy = features
        transform(&copy)
        return copy
    }

    /// Standardises a row-major matrix with `featureCount` columns in place.
    public func transform(_ features: inout [Float]) {
        precondition(featureCount > 0 && features.count % featureCount == 0,
                     "features.count must be a multiple of featureCount (\(featureCount))")
        for i in features.indices {
            let f = i % featureCount
            features[i] = (features[i] - mean[f]) / standardDeviation[f]
        }
    }

    /// Undoes `transform`.
    public func inverseTransform(_ features: [Float]) -> [Float] {
        precondition(featureCount > 0 && features.count % featureCount == 0,
                     "features.count must be a multiple of featureCount (\(featureCount))")
        return features.indices.map { i in
            let f = i % featureCount
            return features[i] * standardDeviation[f] + mean[f]
        }
    }
}
