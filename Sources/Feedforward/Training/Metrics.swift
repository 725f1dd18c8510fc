/// Classification quality: accuracy and the confusion matrix.
public struct ClassificationMetrics: Sendable, Equatable, Codable {
    /// `matrix[true class][predicted class]` counts.
    public var confusionMatrix: [[Int]]

    /// An empty confusion matrix for `classCount` classes.
    public init(classCount: Int) {
        confusionMatrix = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
    }

    /// Counts predictions (the arg-max of each row of `scores`) against `labels`.
    public mutating func add<S>(scores: Tensor<S>, labels: [Int]) {
        for (predicted, label) in zip(scores.argmax(alongAxis: 1), labels) {
            confusionMatrix[label][predicted] += 1
        }
    }

    /// The number of examples counted.
    public var count: Int { confusionMatrix.joined().reduce(0, +) }

    /// The fraction predicted correctly.
    public var accuracy: Double {
        count == 0 ? 0 : Double(confusionMatrix.indices.map { confusionMatrix[$0][$0] }.reduce(0, +)) / Double(count)
    }
}

/// Regression quality: mean squared error, mean absolute error and the coefficient of determination.
public struct RegressionMetrics: Sendable, Equatable, Codable {
    var squaredError = 0.0
    var absoluteError = 0.0
    var targetSum = 0.0
    var targetSquaredSum = 0.0
    var elementCount = 0

    /// Metrics over no predictions yet.
    public init() {}

    /// Counts predictions against targets of the same shape.
    public mutating func add<S>(predictions: Tensor<S>, targets: Tensor<S>) {
        precondition(predictions.shape == targets.shape, "RegressionMetrics: predictions \(predictions.shape), targets \(targets.shape)")
        for (p, t) in zip(predictions.scalars, targets.scalars) {
            let difference = Double(p) - Double(t)
            squaredError += difference * difference
            absoluteError += Swift.abs(difference)
            targetSum += Double(t)
            targetSquaredSum += Double(t) * Double(t)
        }
        elementCount += targets.scalarCount
    }

    /// The mean of `(prediction - target)²` over all target elements.
    public var meanSquaredError: Double { elementCount == 0 ? 0 : squaredError / Double(elementCount) }
    /// The mean of `|prediction - target|` over all target elements.
    public var meanAbsoluteError: Double { elementCount == 0 ? 0 : absoluteError / Double(elementCount) }

    /// `1 - SS_res / SS_tot` (over all target elements together).
    public var rSquared: Double {
        guard elementCount > 0 else { return 0 }
        let mean = targetSum / Double(elementCount)
        let total = targetSquaredSum - Double(elementCount) * mean * mean
        return total > 0 ? 1 - squaredError / total : 0
    }
}

/// What one evaluation of a model on a dataset measured.
public struct EvaluationResult: Sendable, Equatable, Codable {
    /// The mean cost over the examples, as training minimises it.
    public var loss: Double
    /// The number of examples evaluated.
    public var count: Int
    /// Accuracy and confusion matrix, for class targets.
    public var classification: ClassificationMetrics?
    /// Errors and R², for real-valued targets.
    public var regression: RegressionMetrics?

    /// The headline figures as name/value pairs, in a fixed order.
    public var figures: [(String, Double)] {
        var result = [("loss", loss)]
        if let classification { result.append(("accuracy", classification.accuracy)) }
        if let regression {
            result += [("mse", regression.meanSquaredError), ("mae", regression.meanAbsoluteError), ("r2", regression.rSquared)]
        }
        return result
    }
}
