import Foundation

/// Starting a network with a linear path (``NetworkSpecification/linearPath``) at linear regression.
extension TrainingSession {
    /// The most features for which ``startLinearPathAtLeastSquares(on:)`` solves its normal equations
    /// (a system of that many unknowns).
    public static let maximumLeastSquaresFeatures = 512

    /// Starts the network at the penalised least-squares linear model of `training`: the output
    /// layer's weights on the inputs (the linear path) become the ridge regression of the standardised
    /// targets on the standardised features with the session's L2 penalty λ (the minimum of the mean
    /// squared error plus λ‖w‖², the objective training has while the hidden part is zero), its bias
    /// the matching intercept, and its weights on the last hidden layer zero. Training then begins
    /// at linear regression and adds what the hidden units find, instead of having to reach the
    /// linear fit by gradient steps (200 epochs of Adam at 10⁻³ stop short of it on tables whose
    /// columns are correlated).
    ///
    /// - Returns: false, changing nothing, unless the network has the linear path and a linear
    ///   (mean squared error) output, `training` has value targets and at least one row, its features
    ///   number at most ``maximumLeastSquaresFeatures``, and the normal equations can be solved.
    @discardableResult
    public mutating func startLinearPathAtLeastSquares(on training: SupervisedDataset) -> Bool {
        guard specification.hasLinearPath, specification.output == .linear, case .values(let values) = training.targets,
              training.count > 0, training.featureCount == specification.inputSize,
              specification.inputSize <= Self.maximumLeastSquaresFeatures
        else { return false }
        let features = standardized(training.features)
        let targets = standardized(SupervisedTargetsBatch<Float>.values(values))
        guard case .values(let y) = targets else { return false }
        let (count, width, outputs) = (training.count, specification.inputSize, specification.targetSize)
        let gram = matmul(features, features, transposeA: true).scalars        // [width, width]
        let cross = matmul(features, y, transposeA: true).scalars              // [width, outputs]
        let featureMeans = features.sum(alongAxes: [0]).scalars.map { Double($0) / Double(count) }
        let targetMeans = y.sum(alongAxes: [0]).scalars.map { Double($0) / Double(count) }
        // Centred normal equations (covariances plus λ on the diagonal) for weights; the intercept follows.
        let penalty = options.weightDecay
        var covariance = [Double](repeating: 0, count: width * width)
        for row in 0..<width {
            for column in 0..<width {
                covariance[row * width + column] = Double(gram[row * width + column]) / Double(count)
                    - featureMeans[row] * featureMeans[column]
            }
        }
        let trace = (0..<width).reduce(0.0) { $0 + covariance[$1 * width + $1] }
        let ridge = penalty + 1e-9 * Swift.max(trace / Double(width), 1)   // keeps duplicated columns solvable
        for index in 0..<width { covariance[index * width + index] += ridge }
        var right = [Double](repeating: 0, count: width * outputs)
        for row in 0..<width {
            for output in 0..<outputs {
                right[row * outputs + output] = Double(cross[row * outputs + output]) / Double(count)
                    - featureMeans[row] * targetMeans[output]
            }
        }
        guard let weights = Self.choleskySolve(covariance, right, size: width, columns: outputs) else { return false }
        let intercepts = (0..<outputs).map { output in
            targetMeans[output] - (0..<width).reduce(0.0) { $0 + featureMeans[$1] * weights[$1 * outputs + output] }
        }
        let hiddenWidth = specification.hiddenSizes.last!
        model.visitParameters { name, parameter in
            if name == "1.weight" {
                var scalars = [Float](repeating: 0, count: outputs * (hiddenWidth + width))
                for output in 0..<outputs {
                    for input in 0..<width {
                        scalars[output * (hiddenWidth + width) + hiddenWidth + input] = Float(weights[input * outputs + output])
                    }
                }
                parameter = Tensor(shape: parameter.shape, scalars: scalars)
            } else if name == "1.bias" {
                parameter = Tensor(shape: parameter.shape, scalars: intercepts.map { Float($0) })
            }
        }
        return true
    }

    /// The solution `x` of `a·x = b` for a symmetric positive definite `a` (`size`×`size`, row-major)
    /// and `b` of `columns` right-hand sides (`size`×`columns`), by Cholesky factorisation; nil when
    /// `a` is not positive definite.
    static func choleskySolve(_ a: [Double], _ b: [Double], size: Int, columns: Int) -> [Double]? {
        var lower = [Double](repeating: 0, count: size * size)
        for j in 0..<size {
            var diagonal = a[j * size + j]
            for k in 0..<j { diagonal -= lower[j * size + k] * lower[j * size + k] }
            guard diagonal > 0, diagonal.isFinite else { return nil }
            let pivot = diagonal.squareRoot()
            lower[j * size + j] = pivot
            for i in (j + 1)..<Swift.max(j + 1, size) {
                var value = a[i * size + j]
                for k in 0..<j { value -= lower[i * size + k] * lower[j * size + k] }
                lower[i * size + j] = value / pivot
            }
        }
        var x = b
        for column in 0..<columns {
            for i in 0..<size {          // L·z = b
                var value = x[i * columns + column]
                for k in 0..<i { value -= lower[i * size + k] * x[k * columns + column] }
                x[i * columns + column] = value / lower[i * size + i]
            }
            for i in stride(from: size - 1, through: 0, by: -1) {   // Lᵀ·x = z
                var value = x[i * columns + column]
                for k in (i + 1)..<Swift.max(i + 1, size) { value -= lower[k * size + i] * x[k * columns + column] }
                x[i * columns + column] = value / lower[i * size + i]
            }
        }
        return x
    }
}
