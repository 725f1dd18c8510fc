import RealModule

/// The output of a mixture density network (section 6.2.2.4): `K` Gaussian components with diagonal
/// covariance over `D` target dimensions, parametrised by unconstrained network outputs.
///
/// Mixing weights are `softmax(mixingLogits)`, variances are `exp(logVariances)` (always positive).
public struct MixtureDensityParameters<Scalar: TensorScalar>: Sendable {
    /// `[batch, K]`
    public var mixingLogits: Tensor<Scalar>
    /// `[batch, K, D]`
    public var means: Tensor<Scalar>
    /// `[batch, K, D]`: `log σ²` per component and dimension.
    public var logVariances: Tensor<Scalar>

    /// Splits raw network outputs `[batch, K·(1 + 2D)]` into mixing logits, means and log-variances.
    public init(rawOutputs: Tensor<Scalar>, componentCount: Int, targetSize: Int) {
        let k = componentCount
        let d = targetSize
        precondition(rawOutputs.rank == 2 && rawOutputs.shape[1] == k * (1 + 2 * d),
            "MixtureDensityParameters: outputs \(rawOutputs.shape) do not hold \(k) components of size \(d)")
        let batch = rawOutputs.shape[0]
        mixingLogits = rawOutputs.slice(alongAxis: 1, 0..<k)
        means = rawOutputs.slice(alongAxis: 1, k..<(k + k * d)).reshaped(to: [batch, k, d])
        logVariances = rawOutputs.slice(alongAxis: 1, (k + k * d)..<(k + 2 * k * d)).reshaped(to: [batch, k, d])
    }

    /// The number of network outputs needed for `componentCount` components over `targetSize` dimensions.
    public static func outputSize(componentCount: Int, targetSize: Int) -> Int {
        componentCount * (1 + 2 * targetSize)
    }

    /// `-log p(y | x) = -log Σₖ πₖ N(y; μₖ, diag σₖ²)` per example, through logSumExp over components.
    public func negativeLogLikelihood(targets: Tensor<Scalar>, reduction: Reduction = .mean) -> Tensor<Scalar> {
        let (batch, d) = (means.shape[0], means.shape[2])
        precondition(targets.shape == [batch, d], "negativeLogLikelihood: targets \(targets.shape), expected \([batch, d])")
        let difference = targets.reshaped(to: [batch, 1, d]) - means
        let logDensity = ((logVariances + square(difference) * exp(-logVariances)).sum(alongAxes: [2])
            + Scalar(d) * Scalar.log(2 * Scalar.pi)) * -0.5
        let logMixture = logSoftmax(mixingLogits, alongAxis: 1) + logDensity
        return (-logMixture.logSumExp(alongAxes: [1])).reduced(by: reduction)
    }

    /// For each example, the mean of the component with the largest weight — a fast approximation
    /// of the most probable value.
    public func mostProbableMode() -> Tensor<Scalar> {
        let (batch, k, d) = (means.shape[0], means.shape[1], means.shape[2])
        let best = mixingLogits.argmax(alongAxis: 1)
        let rows = means.detached().reshaped(to: [batch * k, d]).gatheringRows(best.enumerated().map { $0 * k + $1 })
        return rows
    }

    /// One sample of `y` per example: a component drawn by its weight, then a Gaussian draw.
    public func sample(using generator: inout SeededRandomNumberGenerator) -> Tensor<Scalar> {
        let (batch, k, d) = (means.shape[0], means.shape[1], means.shape[2])
        let weights = softmax(mixingLogits.detached(), alongAxis: 1).scalars
        let meanValues = means.scalars
        let deviations = exp(logVariances.detached() * 0.5).scalars
        let noise = Tensor<Scalar>.randomNormal(shape: [batch, d], using: &generator).scalars
        var result = [Scalar](repeating: 0, count: batch * d)
        for example in 0..<batch {
            let u = Scalar(generator.nextDouble())
            var component = k - 1
            var cumulative: Scalar = 0
            for j in 0..<k {
                cumulative += weights[example * k + j]
                if u < cumulative { component = j; break }
            }
            for dimension in 0..<d {
                let index = (example * k + component) * d + dimension
                result[example * d + dimension] = meanValues[index] + deviations[index] * noise[example * d + dimension]
            }
        }
        return Tensor(shape: [batch, d], scalars: result)
    }
}
