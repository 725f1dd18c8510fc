/// The matrix product `op(a) · op(b)`, where `op` transposes the last two dimensions when asked,
/// without copying the operand (the kernel reads it transposed).
///
/// Rank-2 operands give a matrix; operands of higher rank are batches of matrices with equal leading
/// dimensions, and a rank-2 operand is shared by every matrix of a batch.
///
/// ```swift
/// let y = matmul(x, w)                       // [batch, in] · [in, out]
/// let gradientW = matmul(x, dy, transposeA: true)
/// ```
@_specialize(where S == Float)
@_specialize(where S == Double)
public func matmul<S>(_ a: Tensor<S>, _ b: Tensor<S>, transposeA: Bool = false, transposeB: Bool = false) -> Tensor<S> {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul: operands need rank 2 or more, got \(a.shape) and \(b.shape)")
    if a.rank > 2 && b.rank == 2 && !transposeA {
        // A batch times one matrix is a single product of the stacked rows.
        let rows = a.reshaped(to: [a.shape.dropLast().reduce(1, *), a.shape[a.rank - 1]])
        let product = matmul(rows, b, transposeA: false, transposeB: transposeB)
        return product.reshaped(to: Array(a.shape.dropLast()) + [product.shape[1]])
    }
    let (m, ka) = transposeA ? (a.shape[a.rank - 1], a.shape[a.rank - 2]) : (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (kb, n) = transposeB ? (b.shape[b.rank - 1], b.shape[b.rank - 2]) : (b.shape[b.rank - 2], b.shape[b.rank - 1])
    precondition(ka == kb, "matmul: inner dimensions differ for \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let batchA = Array(a.shape.dropLast(2))
    let batchB = Array(b.shape.dropLast(2))
    precondition(
        batchA == batchB || batchA.isEmpty || batchB.isEmpty,
        "matmul: batch dimensions \(batchA) and \(batchB) differ")
    let batch = batchA.isEmpty ? batchB : batchA
    let batchCount = batch.reduce(1, *)
    let result = Tensor<S>(uninitializedShape: batch + [m, n])
    let strideA = batchA.isEmpty ? 0 : a.shape[a.rank - 2] * a.shape[a.rank - 1]
    let strideB = batchB.isEmpty ? 0 : b.shape[b.rank - 2] * b.shape[b.rank - 1]
    if let trace = KernelTrace.active {
        let (lda, ldb) = (a.shape[a.rank - 1], b.shape[b.rank - 1])
        trace.append(reading: a.storage, b.storage, writing: result.storage) { a, b, c in
            for index in 0..<batchCount {
                S._matrixMultiply(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: ka, alpha: 1,
                    a + index * strideA, lda: lda, b + index * strideB, ldb: ldb, beta: 0, c + index * m * n, ldc: n)
            }
        }
    }
    for index in 0..<batchCount {
        S._matrixMultiply(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: ka, alpha: 1,
            a.storage.base + index * strideA, lda: a.shape[a.rank - 1],
            b.storage.base + index * strideB, ldb: b.shape[b.rank - 1],
            beta: 0, result.storage.base + index * m * n, ldc: n)
    }
    let tangent = { (t: [Tensor<S>?], y: Tensor<S>) -> Tensor<S>? in
        tangentSum(
            t[0].map { matmul($0, b, transposeA: transposeA, transposeB: transposeB) },
            t[1].map { matmul(a, $0, transposeA: transposeA, transposeB: transposeB) }, shape: y.shape)
    }
    return Tensor.record("matmul", output: result, inputs: [a, b], tangent: tangent) { g, _, needs in
        let gradientA: Tensor<S>? =
            needs[0]
            ? (transposeA
                ? matmul(b, g, transposeA: transposeB, transposeB: true)
                : matmul(g, b, transposeA: false, transposeB: !transposeB))
            : nil
        let gradientB: Tensor<S>? =
            needs[1]
            ? (transposeB
                ? matmul(g, a, transposeA: true, transposeB: transposeA)
                : matmul(a, g, transposeA: !transposeA, transposeB: false))
            : nil
        return [gradientA, gradientB]
    }
}
