// Krylov methods on top of Hessian-vector products (section 6.5.10): they use a matrix only through
// products with vectors, so a Hessian is never formed.

/// The result of ``conjugateGradient(applying:to:initialGuess:tolerance:maximumIterations:)``.
public struct ConjugateGradientResult<Scalar: TensorScalar>: Sendable {
    /// The approximate solution `x` of `A x = b`.
    public var solution: Tensor<Scalar>
    /// The number of iterations run.
    public var iterations: Int
    /// `‖b - A x‖` at the end.
    public var residualNorm: Double
    /// Whether the residual fell below the tolerance (relative to `‖b‖`).
    public var converged: Bool
}

func dot<S>(_ a: Tensor<S>, _ b: Tensor<S>) -> Double {
    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } } }
}

/// Solves `A x = b` for a symmetric positive definite `A` given only as `x ↦ A x` (for example
/// `{ hessianVectorProduct(at: θ, along: $0, of: loss) }`), by conjugate gradients.
public func conjugateGradient<S>(
    applying linearMap: (Tensor<S>) -> Tensor<S>, to b: Tensor<S>, initialGuess: Tensor<S>? = nil,
    tolerance: Double = 1e-8, maximumIterations: Int = 1000
) -> ConjugateGradientResult<S> {
    var x = initialGuess?.detached() ?? .zeros(like: b)
    var r = withoutGradients { b - linearMap(x) }.detached()
    var p = r
    var rr = dot(r, r)
    let target = tolerance * Swift.max(dot(b, b).squareRoot(), .leastNormalMagnitude)
    var iterations = 0
    while rr.squareRoot() > target && iterations < maximumIterations {
        let ap = withoutGradients { linearMap(p) }.detached()
        let curvature = dot(p, ap)
        guard curvature > 0 else { break }  // not positive definite along p
        let alpha = rr / curvature
        x = (x + p * S(alpha)).detached()
        r = (r - ap * S(alpha)).detached()
        let next = dot(r, r)
        p = (r + p * S(next / rr)).detached()
        rr = next
        iterations += 1
    }
    return ConjugateGradientResult(
        solution: x, iterations: iterations, residualNorm: rr.squareRoot(), converged: rr.squareRoot() <= target)
}

/// Estimates extreme eigenvalues of a symmetric operator `x ↦ A x` on tensors of `shape` by the
/// Lanczos iteration with full reorthogonalisation, started from a seeded random vector.
///
/// Returns the Ritz values (eigenvalues of the tridiagonal projection) in decreasing order; after
/// `iterations` steps the largest and smallest ones approximate those of `A` well.
public func lanczosEigenvalues<S>(
    of linearMap: (Tensor<S>) -> Tensor<S>, shape: [Int], iterations: Int, seed: UInt64 = 0
) -> [Double] {
    let n = shape.reduce(1, *)
    let steps = Swift.min(iterations, n)
    precondition(steps > 0, "lanczosEigenvalues: needs at least one iteration and a non-empty shape")
    var generator = SeededRandomNumberGenerator(seed: seed)
    var v = (0..<n).map { _ in generator.nextDouble() - 0.5 }
    let norm = innerProduct(v, v).squareRoot()
    v = v.map { $0 / norm }
    var basis: [[Double]] = []
    var alphas: [Double] = []
    var betas: [Double] = []
    for step in 0..<steps {
        basis.append(v)
        let image = withoutGradients { linearMap(Tensor(shape: shape, scalars: v.map { S($0) })) }.scalars.map { Double($0) }
        var w: [Double] = image
        let alpha = innerProduct(w, v)
        alphas.append(alpha)
        // Full reorthogonalisation (twice) against every basis vector keeps the Ritz values clean.
        for _ in 0..<2 {
            for q in basis {
                let projection = innerProduct(w, q)
                for i in 0..<n { w[i] -= projection * q[i] }
            }
        }
        let beta = innerProduct(w, w).squareRoot()
        if step == steps - 1 || beta < 1e-10 * Swift.max(1, Swift.abs(alpha)) { break }
        betas.append(beta)
        v = w.map { $0 / beta }
    }
    let k = alphas.count
    var tridiagonal = [Double](repeating: 0, count: k * k)
    for i in 0..<k {
        tridiagonal[i * k + i] = alphas[i]
        if i + 1 < k {
            tridiagonal[i * k + i + 1] = betas[i]
            tridiagonal[(i + 1) * k + i] = betas[i]
        }
    }
    return symmetricEigenvalues(Tensor(shape: [k, k], scalars: tridiagonal))
}

/// The eigenvalues of a small symmetric matrix in decreasing order (cyclic Jacobi rotations; the
/// matrix is symmetrised first). For matrices of up to a few hundred rows.
public func symmetricEigenvalues(_ matrix: Tensor<Double>, tolerance: Double = 1e-12, maximumSweeps: Int = 100) -> [Double] {
    precondition(matrix.rank == 2 && matrix.shape[0] == matrix.shape[1], "symmetricEigenvalues: needs a square matrix, got \(matrix.shape)")
    let n = matrix.shape[0]
    var a = matrix.scalars
    for i in 0..<n {
        for j in (i + 1)..<Swift.max(i + 1, n) {
            let mean = (a[i * n + j] + a[j * n + i]) / 2
            a[i * n + j] = mean
            a[j * n + i] = mean
        }
    }
    let scale = Swift.max(a.map { Swift.abs($0) }.max() ?? 0, 1e-300)
    for _ in 0..<maximumSweeps {
        var offDiagonal = 0.0
        for i in 0..<n { for j in (i + 1)..<Swift.max(i + 1, n) { offDiagonal += a[i * n + j] * a[i * n + j] } }
        if offDiagonal.squareRoot() <= tolerance * scale { break }
        for p in 0..<n {
            for q in (p + 1)..<Swift.max(p + 1, n) {
                let apq = a[p * n + q]
                guard Swift.abs(apq) > 1e-300 else { continue }
                let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                let t = (theta >= 0 ? 1.0 : -1.0) / (Swift.abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot()
                let s = t * c
                for k in 0..<n {
                    let akp = a[k * n + p], akq = a[k * n + q]
                    a[k * n + p] = c * akp - s * akq
                    a[k * n + q] = s * akp + c * akq
                }
                for k in 0..<n {
                    let apk = a[p * n + k], aqk = a[q * n + k]
                    a[p * n + k] = c * apk - s * aqk
                    a[q * n + k] = s * apk + c * aqk
                }
            }
        }
    }
    return (0..<n).map { a[$0 * n + $0] }.sorted(by: >)
}

private func innerProduct(_ a: [Double], _ b: [Double]) -> Double {
    var sum = 0.0
    for i in a.indices { sum += a[i] * b[i] }
    return sum
}
