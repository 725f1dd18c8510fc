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
        if a.rank == 2 && b.rank == 2 {
            let terms = [t[0].map { MatrixProduct(a: $0, b: b, transposeA: transposeA, transposeB: transposeB) },
                         t[1].map { MatrixProduct(a: a, b: $0, transposeA: transposeA, transposeB: transposeB) }]
            let present = terms.compactMap { $0 }
            return present.isEmpty ? nil : sumOfProducts(present, plus: nil)
        }
        return tangentSum(
            t[0].map { matmul($0, b, transposeA: transposeA, transposeB: transposeB) },
            t[1].map { matmul(a, $0, transposeA: transposeA, transposeB: transposeB) }, shape: y.shape)
    }
    return Tensor.record("matmul", output: result, inputs: [a, b], tangent: tangent) { g, _, needs in
        productGradients(g, a, b, transposeA: transposeA, transposeB: transposeB, needs: needs[0], needs[1])
    }
}

/// The gradients of `op(a)·op(b)` with respect to `a` and `b` (nil where not needed), from the
/// output's gradient `g`: each is again a product, with the transpositions that give its shape.
@_specialize(where S == Float)
@_specialize(where S == Double)
func productGradients<S>(
    _ g: Tensor<S>, _ a: Tensor<S>, _ b: Tensor<S>, transposeA: Bool, transposeB: Bool, needs needsA: Bool, _ needsB: Bool
) -> [Tensor<S>?] {
    let gradientA: Tensor<S>? =
        needsA
        ? (transposeA
            ? matmul(b, g, transposeA: transposeB, transposeB: true)
            : matmul(g, b, transposeA: false, transposeB: !transposeB))
        : nil
    let gradientB: Tensor<S>? =
        needsB
        ? (transposeB
            ? matmul(g, a, transposeA: true, transposeB: transposeA)
            : matmul(a, g, transposeA: !transposeA, transposeB: false))
        : nil
    return [gradientA, gradientB]
}

/// One term `op(a) · op(b)` of a ``sumOfProducts(_:plus:)``, with rank-2 operands.
struct MatrixProduct<S: TensorScalar> {
    var a: Tensor<S>
    var b: Tensor<S>
    var transposeA = false
    var transposeB = false

    var rows: Int { transposeA ? a.shape[1] : a.shape[0] }
    var columns: Int { transposeB ? b.shape[0] : b.shape[1] }
    var inner: Int { transposeA ? a.shape[0] : a.shape[1] }

    /// `op(a)·op(b)` into `c` (`[rows, columns]`), added to what `c` holds when `accumulate`.
    func run(_ a: UnsafeMutablePointer<S>, _ b: UnsafeMutablePointer<S>, into c: UnsafeMutablePointer<S>, accumulate: Bool) {
        S._matrixMultiply(
            transposeA: transposeA, transposeB: transposeB, m: rows, n: columns, k: inner, alpha: 1,
            a, lda: self.a.shape[1], b, ldb: self.b.shape[1], beta: accumulate ? 1 : 0, c, ldc: columns)
    }
}

/// `Σᵢ op(aᵢ)·op(bᵢ) + bias` for rank-2 operands, with a `bias` of one row added to every row, in one
/// buffer: the bias (or the first product) fills it and the other products accumulate into it, so the
/// sum and the broadcast make no pass of their own. A dense layer is one such operation, and so is the
/// tangent of a product, `da·b + a·db`; the tangent of a sum of products is again one.
@_specialize(where S == Float)
@_specialize(where S == Double)
func sumOfProducts<S>(_ terms: [MatrixProduct<S>], plus bias: Tensor<S>?) -> Tensor<S> {
    precondition(!terms.isEmpty, "sumOfProducts: no products")
    let (m, n) = (terms[0].rows, terms[0].columns)
    for term in terms {
        precondition(
            term.a.rank == 2 && term.b.rank == 2 && term.rows == m && term.columns == n
                && (term.transposeB ? term.b.shape[1] : term.b.shape[0]) == term.inner,
            "sumOfProducts: \(term.a.shape)\(term.transposeA ? "ᵀ" : "") · \(term.b.shape)\(term.transposeB ? "ᵀ" : "") "
                + "does not give [\(m), \(n)]")
    }
    if let bias { precondition(bias.shape == [n], "sumOfProducts: bias \(bias.shape) for [\(m), \(n)] products") }
    let result = Tensor<S>(uninitializedShape: [m, n])
    if let bias {
        KernelTrace.active?.append(reading: bias.storage, writing: result.storage) { b, y in
            for row in 0..<m { (y + row * n).update(from: b, count: n) }
        }
        for row in 0..<m { (result.storage.base + row * n).update(from: bias.storage.base, count: n) }
    }
    for (index, term) in terms.enumerated() {
        let accumulate = bias != nil || index > 0
        KernelTrace.active?.append(reading: term.a.storage, term.b.storage, writing: result.storage) { a, b, c in
            term.run(a, b, into: c, accumulate: accumulate)
        }
        term.run(term.a.storage.base, term.b.storage.base, into: result.storage.base, accumulate: accumulate)
    }
    let inputs = terms.flatMap { [$0.a, $0.b] } + (bias.map { [$0] } ?? [])
    let tangent = { (t: [Tensor<S>?], _: Tensor<S>) -> Tensor<S>? in
        var tangentTerms: [MatrixProduct<S>] = []
        for (index, term) in terms.enumerated() {
            if let da = t[2 * index] { tangentTerms.append(MatrixProduct(a: da, b: term.b, transposeA: term.transposeA, transposeB: term.transposeB)) }
            if let db = t[2 * index + 1] { tangentTerms.append(MatrixProduct(a: term.a, b: db, transposeA: term.transposeA, transposeB: term.transposeB)) }
        }
        let biasTangent = bias == nil ? nil : t[2 * terms.count]
        if tangentTerms.isEmpty { return biasTangent?.broadcasted(to: [m, n]) }
        return sumOfProducts(tangentTerms, plus: biasTangent)
    }
    return Tensor.record("sumOfProducts", output: result, inputs: inputs, tangent: tangent) { g, _, needs in
        var gradients: [Tensor<S>?] = []
        for (index, term) in terms.enumerated() {
            gradients += productGradients(
                g, term.a, term.b, transposeA: term.transposeA, transposeB: term.transposeB,
                needs: needs[2 * index], needs[2 * index + 1])
        }
        if bias != nil { gradients.append(needs[2 * terms.count] ? g.sum(alongAxes: [0]) : nil) }
        return gradients
    }
}
