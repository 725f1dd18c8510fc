import RealModule

// Output units paired with their costs as negative log-likelihoods (the table of section 6.2.2).
// Every cost takes the output layer's pre-activations where a squashing unit is involved, so the
// cost never saturates when the answer is wrong.

/// How per-example losses combine into one value.
public enum Reduction: Sendable {
    /// The mean over examples (the default).
    case mean
    /// The sum over examples.
    case sum
    /// One loss per example.
    case none
}

extension Tensor {
    /// Applies `reduction` to per-example losses of shape `[batch]`.
    func reduced(by reduction: Reduction) -> Tensor {
        switch reduction {
        case .mean: return mean()
        case .sum: return sum()
        case .none: return self
        }
    }

    /// Sums all axes but the first: one value per example.
    func summedPerExample() -> Tensor {
        rank <= 1 ? self : sum(alongAxes: Array(1..<rank))
    }
}

/// Linear output + Gaussian likelihood with fixed variance: mean squared error
/// `‖y - ŷ‖²` per example (averaged over output components), eq. 6.12.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func meanSquaredError<S>(predictions: Tensor<S>, targets: Tensor<S>, reduction: Reduction = .mean) -> Tensor<S> {
    precondition(predictions.shape == targets.shape, "meanSquaredError: predictions \(predictions.shape) and targets \(targets.shape) differ")
    let components = S(Swift.max(1, predictions.shape.dropFirst().reduce(1, *)))
    return (square(predictions - targets).summedPerExample() / components).reduced(by: reduction)
}

/// Mean absolute error `|y - ŷ|` per example (averaged over components); its minimiser is the
/// conditional median (6.2.1.2).
public func meanAbsoluteError<S>(predictions: Tensor<S>, targets: Tensor<S>, reduction: Reduction = .mean) -> Tensor<S> {
    precondition(predictions.shape == targets.shape, "meanAbsoluteError: predictions \(predictions.shape) and targets \(targets.shape) differ")
    let components = S(Swift.max(1, predictions.shape.dropFirst().reduce(1, *)))
    return (abs(predictions - targets).summedPerExample() / components).reduced(by: reduction)
}

/// Gaussian negative log-likelihood with a learned (heteroscedastic) variance:
/// `½[log 2π + log σ² + (y - μ)² / σ²]` summed over components, with `logVariance = log σ²`.
public func gaussianNegativeLogLikelihood<S>(
    mean: Tensor<S>, logVariance: Tensor<S>, targets: Tensor<S>, reduction: Reduction = .mean
) -> Tensor<S> {
    precondition(mean.shape == targets.shape && logVariance.shape == targets.shape,
        "gaussianNegativeLogLikelihood: shapes \(mean.shape), \(logVariance.shape), \(targets.shape) differ")
    let perComponent = (logVariance + square(targets - mean) * exp(-logVariance) + S.log(2 * S.pi)) * 0.5
    return perComponent.summedPerExample().reduced(by: reduction)
}

/// Sigmoid output + Bernoulli likelihood: binary cross-entropy from logits `z`,
/// `-log σ(z)` for y = 1 and `-log(1 - σ(z))` for y = 0, computed as `softplus(z) - y·z` (eq. 6.23),
/// which never saturates when the answer is wrong. Targets may be probabilities in [0, 1].
public func binaryCrossEntropy<S>(logits: Tensor<S>, labels: Tensor<S>, reduction: Reduction = .mean) -> Tensor<S> {
    precondition(logits.shape == labels.shape, "binaryCrossEntropy: logits \(logits.shape) and labels \(labels.shape) differ")
    let components = S(Swift.max(1, logits.shape.dropFirst().reduce(1, *)))
    return ((softplus(logits) - labels * logits).summedPerExample() / components).reduced(by: reduction)
}

/// Softmax output + multinoulli likelihood: cross-entropy from logits `[batch, classes]` and integer
/// labels, through `log softmax(z) = z - logΣexp(z)` (eqs. 6.30–6.33); its gradient is `q - p`.
///
/// - Parameters:
///   - logits: the unnormalised scores, `[batch, classes]`.
///   - labels: the class of each example, in `0..<classes`.
///   - classWeights: optional weight per class; with `.mean`, the weighted mean (as PyTorch).
///   - labelSmoothing: ε mixes the one-hot target with the uniform distribution: `(1-ε)·p + ε/K`.
///     With class weights, each class's share is weighted by that class's weight (as PyTorch).
///   - reduction: how the per-example costs are combined.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func crossEntropy<S>(
    logits: Tensor<S>, labels: [Int], classWeights: Tensor<S>? = nil, labelSmoothing: S = 0,
    reduction: Reduction = .mean
) -> Tensor<S> {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count, "crossEntropy: logits \(logits.shape) for \(labels.count) labels")
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "crossEntropy: label smoothing \(labelSmoothing) must be in [0, 1]")
    let classCount = logits.shape[1]
    if classWeights == nil && labelSmoothing == 0 {
        return softmaxCrossEntropyPerExample(logits: logits, labels: labels).reduced(by: reduction)
    }
    let logProbabilities = logSoftmax(logits, alongAxis: 1)
    let oneHotTargets: Tensor<S> = oneHot(labels, classCount: classCount)
    guard let classWeights else {
        let targets = labelSmoothing > 0
            ? oneHotTargets * (1 - labelSmoothing) + labelSmoothing / S(classCount) : oneHotTargets
        return (-(targets * logProbabilities).sum(alongAxes: [1])).reduced(by: reduction)
    }
    precondition(classWeights.shape == [classCount], "crossEntropy: class weights \(classWeights.shape) for \(classCount) classes")
    // As PyTorch: the label's term is weighted by the label's class, each class's smoothing term by
    // its own class, and the mean divides by the sum of the labels' weights.
    let weights = classWeights.detached()
    let labelWeights = weights.gatheringRows(labels)
    var perExample = -(oneHotTargets * logProbabilities).sum(alongAxes: [1]) * labelWeights
    if labelSmoothing > 0 {
        let smoothing = -(logProbabilities * weights).sum(alongAxes: [1])
        perExample = perExample * (1 - labelSmoothing) + smoothing * (labelSmoothing / S(classCount))
    }
    return reduction == .mean ? perExample.sum() / labelWeights.sum() : perExample.reduced(by: reduction)
}

/// Cross-entropy against target distributions `[batch, classes]` (soft labels).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func crossEntropy<S>(logits: Tensor<S>, probabilities: Tensor<S>, reduction: Reduction = .mean) -> Tensor<S> {
    precondition(logits.shape == probabilities.shape, "crossEntropy: logits \(logits.shape) and probabilities \(probabilities.shape) differ")
    return (-(probabilities * logSoftmax(logits, alongAxis: -1)).sum(alongAxes: [-1])).reduced(by: reduction)
}

/// The fraction of rows whose largest logit is at the label.
public func accuracy<S>(logits: Tensor<S>, labels: [Int]) -> Double {
    precondition(logits.rank == 2 && logits.shape[0] == labels.count, "accuracy: logits \(logits.shape) for \(labels.count) labels")
    guard !labels.isEmpty else { return 0 }
    let predicted = logits.argmax(alongAxis: 1)
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
}
