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

    /// Precision, recall, F1 and support of each class, one-vs-rest (as scikit-learn's
    /// `classification_report`; a ratio with a zero denominator is 0).
    public var perClass: [ClassScores] {
        confusionMatrix.indices.map { index in
            let truePositives = Double(confusionMatrix[index][index])
            let predicted = Double(confusionMatrix.map { $0[index] }.reduce(0, +))
            let actual = confusionMatrix[index].reduce(0, +)
            let precision = predicted > 0 ? truePositives / predicted : 0
            let recall = actual > 0 ? truePositives / Double(actual) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return ClassScores(precision: precision, recall: recall, f1: f1, support: actual)
        }
    }

    /// The unweighted mean of the classes' F1 scores, over classes that occur or are predicted.
    public var macroF1: Double {
        let scores = perClass.enumerated().filter { index, scores in
            scores.support > 0 || confusionMatrix.contains { $0[index] > 0 }
        }.map(\.element.f1)
        return scores.isEmpty ? 0 : scores.reduce(0, +) / Double(scores.count)
    }

    /// The area under the ROC curve of scores for the positive class: the probability that a random
    /// positive example scores above a random negative one (ties count one half). Nil without both
    /// a positive and a negative example.
    public static func areaUnderROCCurve(_ scored: [(score: Float, isPositive: Bool)]) -> Double? {
        let positives = scored.filter(\.isPositive).count
        let negatives = scored.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        // Mann-Whitney U from the ranks of the scores, ties given their average rank.
        let sorted = scored.sorted { $0.score < $1.score }
        var positiveRankSum = 0.0
        var start = 0
        while start < sorted.count {
            var end = start
            while end + 1 < sorted.count && sorted[end + 1].score == sorted[start].score { end += 1 }
            let averageRank = Double(start + end) / 2 + 1
            for index in start...end where sorted[index].isPositive { positiveRankSum += averageRank }
            start = end + 1
        }
        let u = positiveRankSum - Double(positives) * Double(positives + 1) / 2
        return u / (Double(positives) * Double(negatives))
    }
}

/// How well one class is recognised: precision, recall, their harmonic mean F1, and the number of
/// examples of the class (support).
public struct ClassScores: Sendable, Equatable, Codable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int
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
    /// The square root of the mean squared error, in the targets' units.
    public var rootMeanSquaredError: Double { meanSquaredError.squareRoot() }

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
    /// The area under the ROC curve, for two classes (see
    /// ``ClassificationMetrics/areaUnderROCCurve(_:)``).
    public var rocAUC: Double?

    /// A result from its parts.
    public init(
        loss: Double, count: Int, classification: ClassificationMetrics? = nil, regression: RegressionMetrics? = nil,
        rocAUC: Double? = nil
    ) {
        self.loss = loss
        self.count = count
        self.classification = classification
        self.regression = regression
        self.rocAUC = rocAUC
    }

    /// The headline figures as name/value pairs, in a fixed order.
    public var figures: [(String, Double)] {
        var result = [("loss", loss)]
        if let classification {
            result += [("accuracy", classification.accuracy), ("macro_f1", classification.macroF1)]
        }
        if let rocAUC { result.append(("roc_auc", rocAUC)) }
        if let regression {
            result += [("mse", regression.meanSquaredError), ("rmse", regression.rootMeanSquaredError),
                       ("mae", regression.meanAbsoluteError), ("r2", regression.rSquared)]
        }
        return result
    }
}
