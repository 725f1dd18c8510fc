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
    let strideA = batchA.isEmpty ? 0 : a.shape[a.rank - 2] * a.shape[a.rank - 1]
    let strideB = batchB.isEmpty ? 0 : b.shape[b.rank - 2] * b.shape[b.rank - 1]
    let (lda, ldb) = (a.shape[a.rank - 1], b.shape[b.rank - 1])
    return Primitive<S>(
        "matmul",
        .kernel(shape: batch + [m, n]) { buffers in
            for index in 0..<batchCount {
                S._matrixMultiply(
                    transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: ka, alpha: 1,
                    buffers[0] + index * strideA, lda: lda, buffers[1] + index * strideB, ldb: ldb,
                    beta: 0, buffers.output + index * m * n, ldc: n)
            }
        }, saving: .inputs,
        derivative: { g, saved, input in
            productGradient(g, saved.inputs[0], saved.inputs[1], transposeA: transposeA, transposeB: transposeB, input: input)
        },
        tangent: .rule { t, saved, input in
            input == 0
                ? matmul(t, saved.inputs[1], transposeA: transposeA, transposeB: transposeB)
                : matmul(saved.inputs[0], t, transposeA: transposeA, transposeB: transposeB)
        }
    ).bind([a, b])
}

/// The gradient of `op(a)·op(b)` with respect to `a` (`input` 0) or `b` (`input` 1), from the
/// output's gradient `g`: again a product, with the transpositions that give its shape.
@_specialize(where S == Float)
@_specialize(where S == Double)
func productGradient<S>(
    _ g: Tensor<S>, _ a: Tensor<S>, _ b: Tensor<S>, transposeA: Bool, transposeB: Bool, input: Int
) -> Tensor<S> {
    if input == 0 {
        return transposeA
            ? matmul(b, g, transposeA: transposeB, transposeB: true)
            : matmul(g, b, transposeA: false, transposeB: !transposeB)
    }
    return transposeB
        ? matmul(g, a, transposeA: true, transposeB: transposeA)
        : matmul(a, g, transposeA: !transposeA, transposeB: false)
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
    let inputs = terms.flatMap { [$0.a, $0.b] } + (bias.map { [$0] } ?? [])
    let biasIndex = bias == nil ? nil : 2 * terms.count
    return Primitive<S>(
        "sumOfProducts",
        .kernel(shape: [m, n]) { buffers in
            if let biasIndex {
                for row in 0..<m { (buffers.output + row * n).update(from: buffers[biasIndex], count: n) }
            }
            for (index, term) in terms.enumerated() {
                term.run(buffers[2 * index], buffers[2 * index + 1], into: buffers.output, accumulate: biasIndex != nil || index > 0)
            }
        }, saving: .inputs,
        derivative: { g, saved, input in
            if input == biasIndex { return g.sum(alongAxes: [0]) }
            let term = terms[input / 2]
            return productGradient(
                g, saved.inputs[input - input % 2], saved.inputs[input - input % 2 + 1], transposeA: term.transposeA,
                transposeB: term.transposeB, input: input % 2)
        },
        tangent: .rule { t, saved, input in
            if input == biasIndex { return t }
            let term = terms[input / 2]
            let (a, b) = input % 2 == 0 ? (t, saved.inputs[input + 1]) : (saved.inputs[input - 1], t)
            return sumOfProducts([MatrixProduct(a: a, b: b, transposeA: term.transposeA, transposeB: term.transposeB)], plus: nil)
        }
    ).bind(inputs)
}
