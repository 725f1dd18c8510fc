import Foundation
import Testing
@testable import Feedforward

/// One row of the operation-check table: a primitive (or a public operation composed of them) with
/// its sample cases, each of which the harness checks in full (see `expectOperationChecks`).
struct OperationCheck: Sendable, CustomTestStringConvertible {
    /// One sample: inputs, the function of them, and the reference value.
    struct Case: Sendable {
        let label: String
        let inputs: [Tensor<Double>]
        let reference: Tensor<Double>
        let function: @Sendable ([Tensor<Double>]) -> Tensor<Double>
    }

    let operation: String
    /// Whether the function has second derivatives at the samples (false: piecewise linear).
    var smooth = true
    /// Whether to also check the second derivative of `sin ∘ f`.
    var composed = true
    let cases: [Case]

    var testDescription: String { operation }
}

/// A sample case of a row.
private func sample(
    _ label: String, _ inputs: [Tensor<Double>], reference: Tensor<Double>,
    _ function: @escaping @Sendable ([Tensor<Double>]) -> Tensor<Double>
) -> OperationCheck.Case {
    OperationCheck.Case(label: label, inputs: inputs, reference: reference, function: function)
}

/// The row of an element-wise function of one tensor, with its scalar reference.
private func unary(
    _ operation: String, at x: Tensor<Double>, smooth: Bool = true, _ function: @escaping @Sendable (Tensor<Double>) -> Tensor<Double>,
    reference: (Double) -> Double
) -> OperationCheck {
    OperationCheck(operation: operation, smooth: smooth, cases: [sample(operation, [x], reference: referenceMap(x, reference)) { function($0[0]) }])
}

/// The row of an element-wise function of two broadcast tensors, checked for every pair of shapes.
private func binary(
    _ operation: String, composed: Bool = true, positiveRight: Bool = false, positiveLeft: Bool = false,
    _ function: @escaping @Sendable (Tensor<Double>, Tensor<Double>) -> Tensor<Double>, reference: (Double, Double) -> Double
) -> OperationCheck {
    let shapePairs: [([Int], [Int])] = [([2, 3], [2, 3]), ([2, 3], [3]), ([3], [2, 3]), ([2, 1], [1, 3]), ([], [2, 3]), ([2, 3], []), ([2, 1, 3], [4, 1])]
    let cases = shapePairs.enumerated().map { index, shapes in
        let seed = UInt64(index * 10)
        let a = positiveLeft ? testTensor(shapes.0, seed: seed + 3, lower: 0.5, upper: 2) : testTensor(shapes.0, seed: seed)
        let b = positiveRight ? testTensor(shapes.1, seed: seed + 2, lower: 0.5, upper: 2) : testTensor(shapes.1, seed: seed + 1)
        return sample("\(shapes.0) ∘ \(shapes.1)", [a, b], reference: referenceMap(a, b, reference)) { function($0[0], $0[1]) }
    }
    return OperationCheck(operation: operation, composed: composed, cases: cases)
}

/// The row of a reduction, over several axis sets with and without kept dimensions.
private func reduction(
    _ operation: String, composed: Bool = true,
    _ function: @escaping @Sendable (Tensor<Double>, [Int]?, Bool) -> Tensor<Double>, reference: @escaping ([Double]) -> Double
) -> OperationCheck {
    let x = testTensor([2, 2, 3], seed: 40)
    let axisSets: [([Int]?, Bool)] = [
        (nil, false), (nil, true), ([0], false), ([1], true), ([0, 2], false), ([0, 2], true), ([-1], false), ([0, 1], false), ([1, 2], true),
    ]
    let cases = axisSets.map { axes, keep in
        sample("axes \(axes.map { "\($0)" } ?? "all") keep \(keep)", [x],
               reference: referenceReduction(x, axes: axes, keepingDimensions: keep, reference)) { function($0[0], axes, keep) }
    }
    return OperationCheck(operation: operation, composed: composed, cases: cases)
}

extension OperationCheck {
    /// Every primitive, listed once (and the public operations composed of them that have rules of
    /// their own to check: clamp, logSumExp, stack, ...).
    static let table: [OperationCheck] = arithmetic + math + selection + reductions + lineMaps + shapes + products

    static let arithmetic: [OperationCheck] = {
        let x = testTensor([2, 3], seed: 20)
        let positive = testTensor([2, 3], seed: 21, lower: 0.5, upper: 2)
        return [
            binary("add", { $0 + $1 }, reference: +),
            binary("subtract", { $0 - $1 }, reference: -),
            binary("multiply", composed: false, { $0 * $1 }, reference: *),
            binary("divide", composed: false, positiveRight: true, { $0 / $1 }, reference: /),
            binary("pow", composed: false, positiveLeft: true, { pow($0, $1) }, reference: Foundation.pow),
            binary("maximum", { maximum($0, $1) }, reference: { Swift.max($0, $1) }),
            binary("minimum", { minimum($0, $1) }, reference: { Swift.min($0, $1) }),
            unary("negate", at: x, { -$0 }, reference: { -$0 }),
            OperationCheck(operation: "add scalar", cases: [
                sample("x + 2", [x], reference: referenceMap(x) { $0 + 2 }) { $0[0] + 2 },
                sample("2 + x", [x], reference: referenceMap(x) { 2 + $0 }) { 2 + $0[0] },
                sample("x - 2", [x], reference: referenceMap(x) { $0 - 2 }) { $0[0] - 2 },
                sample("2 - x", [x], reference: referenceMap(x) { 2 - $0 }) { 2 - $0[0] },
            ]),
            OperationCheck(operation: "scale", cases: [
                sample("x * 3", [x], reference: referenceMap(x) { $0 * 3 }) { $0[0] * 3 },
                sample("3 * x", [x], reference: referenceMap(x) { 3 * $0 }) { 3 * $0[0] },
                sample("x / 3", [x], reference: referenceMap(x) { $0 / 3 }) { $0[0] / 3 },
                sample("3 / x", [positive], reference: referenceMap(positive) { 3 / $0 }) { 3 / $0[0] },
            ]),
            OperationCheck(operation: "pow scalar exponent", cases: [3, 2, 1, 0, 0.5, -2, -1.5].map { (exponent: Double) -> Case in
                let base = exponent.rounded() == exponent && exponent >= 0 ? x : positive
                return sample("pow \(exponent)", [base], reference: referenceMap(base) { Foundation.pow($0, exponent) }) { pow($0[0], exponent) }
            } + [sample("pow integral tensor exponent, negative base", [x * 2 - 0.1],
                        reference: referenceMap(x * 2 - 0.1) { $0 * $0 * $0 }) { pow($0[0], Tensor([3.0])) }]),
            OperationCheck(operation: "arithmetic compositions", cases: [
                sample("rank 0", [Tensor(0.7), Tensor(-1.3)], reference: Tensor(0.7 * -1.3 + 0.7 / (1.3 * 1.3))) {
                    $0[0] * $0[1] + $0[0] / ($0[1] * $0[1])
                },
                sample("compound assignments", [x, positive],
                       reference: referenceMap(x, positive) { a, b in ((a + b) * a - 1) / b }) { inputs in
                    var y = inputs[0]
                    y += inputs[1]
                    y *= inputs[0]
                    y -= 1
                    y /= inputs[1]
                    return y
                },
            ]),
        ]
    }()

    static let math: [OperationCheck] = {
        let x = testTensor([2, 3], seed: 30)
        let positive = testTensor([2, 3], seed: 31, lower: 0.2, upper: 3)
        let aboveMinusOne = testTensor([2, 3], seed: 32, lower: -0.8, upper: 3)
        let awayFromZero = awayFrom([0], [2, 3], seed: 33)
        let wide = x * 3
        return [
            unary("exp", at: x, exp, reference: Foundation.exp),
            unary("log", at: positive, log, reference: Foundation.log),
            unary("log1p", at: aboveMinusOne, log1p, reference: Foundation.log1p),
            unary("expm1", at: x, expm1, reference: Foundation.expm1),
            unary("sqrt", at: positive, sqrt, reference: Foundation.sqrt),
            unary("square", at: x, square, reference: { $0 * $0 }),
            unary("reciprocal", at: positive, reciprocal, reference: { 1 / $0 }),
            unary("abs", at: awayFromZero, abs, reference: Swift.abs),
            unary("sin", at: x, sin, reference: Foundation.sin),
            unary("cos", at: x, cos, reference: Foundation.cos),
            unary("atan", at: x, atan, reference: Foundation.atan),
            unary("tanh", at: x, tanh, reference: Foundation.tanh),
            unary("sigmoid", at: wide, sigmoid, reference: { 1 / (1 + Foundation.exp(-$0)) }),
            unary("softplus", at: wide, softplus, reference: { Foundation.log(1 + Foundation.exp($0)) }),
            unary("relu", at: awayFromZero, relu, reference: { Swift.max($0, 0) }),
            // Constants for differentiation: their derivatives are zero, which the checks confirm.
            unary("sign", at: awayFromZero, sign, reference: { $0 > 0 ? 1 : -1 }),
            unary("step", at: awayFromZero, step, reference: { $0 > 0 ? 1 : 0 }),
            unary("clamp", at: awayFrom([-0.5, 0.7], [2, 3], seed: 34), { clamp($0, min: -0.5, max: 0.7) },
                  reference: { Swift.min(Swift.max($0, -0.5), 0.7) }),
        ]
    }()

    static let selection: [OperationCheck] = {
        let x = testTensor([2, 3], seed: 30)
        let awayFromZero = awayFrom([0], [2, 3], seed: 33)
        let condition = Tensor<Double>(shape: [2, 1], scalars: [1, 0])
        let b = testTensor([3], seed: 35)
        return [
            OperationCheck(operation: "where", cases: [
                sample("broadcast condition", [x, b], reference: referenceTensor([2, 3]) { $0[0] == 0 ? x[element: $0] : b[element: [$0[1]]] }) {
                    `where`(condition, $0[0], $0[1])
                },
                sample("data-dependent", [awayFromZero],
                       reference: referenceMap(awayFromZero) { $0 > 0 ? Foundation.exp($0) : $0 * $0 }) {
                    `where`($0[0] .> 0, exp($0[0]), square($0[0]))
                },
            ]),
            OperationCheck(operation: "comparisons", cases: [
                sample("less", [x, b], reference: referenceMap(x, b) { $0 < $1 ? 1 : 0 }) { $0[0] .< $0[1] },
                sample("greaterOrEqual", [x, b], reference: referenceMap(x, b) { $0 >= $1 ? 1 : 0 }) { $0[0] .>= $0[1] },
                sample("equal", [x, b], reference: referenceMap(x, b) { $0 == $1 ? 1 : 0 }) { $0[0].elementsEqual($0[1]) },
            ]),
        ]
    }()

    static let reductions: [OperationCheck] = {
        let logits = testTensor([3, 4], seed: 41, lower: -3, upper: 3)
        let x = testTensor([2, 2, 3], seed: 40)
        return [
            reduction("sum", { $0.sum(alongAxes: $1, keepingDimensions: $2) }, reference: { $0.reduce(0, +) }),
            reduction("mean", { $0.mean(alongAxes: $1, keepingDimensions: $2) }, reference: { $0.reduce(0, +) / Double($0.count) }),
            reduction("max", { $0.max(alongAxes: $1, keepingDimensions: $2) }, reference: { $0.max()! }),
            reduction("min", { $0.min(alongAxes: $1, keepingDimensions: $2) }, reference: { $0.min()! }),
            reduction("logSumExp", composed: false, { $0.logSumExp(alongAxes: $1, keepingDimensions: $2) },
                      reference: { Foundation.log($0.map(Foundation.exp).reduce(0, +)) }),
            OperationCheck(operation: "reductions of rank 0 and large values", cases: [
                sample("sum rank 0", [Tensor(1.5)], reference: Tensor(2.25)) { $0[0].sum() * $0[0] },
                sample("logSumExp large", [logits * 300], reference: referenceReduction(logits, axes: [1], keepingDimensions: false) {
                    Foundation.log($0.map(Foundation.exp).reduce(0, +))
                }) { ($0[0] / 300).logSumExp(alongAxes: [1]) },
            ]),
            OperationCheck(operation: "sum along one axis", cases: [
                sample("axis 1", [x], reference: referenceReduction(x, axes: [1], keepingDimensions: false) { $0.reduce(0, +) }) {
                    $0[0].sum(alongAxis: 1)
                },
            ]),
        ]
    }()

    static let lineMaps: [OperationCheck] = {
        let logits = testTensor([3, 4], seed: 41, lower: -3, upper: 3)
        func softmaxReference(_ line: [Double], _ j: Int) -> Double { Foundation.exp(line[j]) / line.map(Foundation.exp).reduce(0, +) }
        let labels = [2, 0, 3]
        return [
            OperationCheck(operation: "softmax", cases: [-1, 0, 1].map { axis in
                sample("axis \(axis)", [logits], reference: referenceAlongAxis(logits, axis: axis, softmaxReference)) {
                    softmax($0[0], alongAxis: axis)
                }
            }),
            OperationCheck(operation: "logSoftmax", cases: [-1, 0, 1].map { axis in
                sample("axis \(axis)", [logits], reference: referenceAlongAxis(logits, axis: axis) { Foundation.log(softmaxReference($0, $1)) }) {
                    logSoftmax($0[0], alongAxis: axis)
                }
            } + [sample("large logits", [logits * 300], reference: referenceAlongAxis(logits, axis: 1) { Foundation.log(softmaxReference($0, $1)) }) {
                logSoftmax($0[0] / 300)
            }]),
            OperationCheck(operation: "softmaxCrossEntropy", cases: [
                sample("integer labels", [logits], reference: Tensor(shape: [3], scalars: labels.indices.map { row in
                    let line = (0..<4).map { logits[element: [row, $0]] }
                    return -Foundation.log(softmaxReference(line, labels[row]))
                })) { softmaxCrossEntropyPerExample(logits: $0[0], labels: labels) },
            ]),
        ]
    }()

    static let shapes: [OperationCheck] = {
        let x = testTensor([2, 3, 4], seed: 50)
        let column = testTensor([3, 1], seed: 52)
        let a = testTensor([2, 3], seed: 53), b = testTensor([1, 3], seed: 54), c = testTensor([4, 3], seed: 55)
        let narrow = testTensor([2, 2], seed: 56)
        let rows = [3, 0, 3, 3, 1]
        let targets = [1, 0, 1, 1]
        let permutation = [2, 0, 1]
        func permuted(_ t: Tensor<Double>, _ p: [Int]) -> Tensor<Double> {
            referenceTensor(p.map { t.shape[$0] }) { index in
                var source = [Int](repeating: 0, count: t.rank)
                for (i, axis) in p.enumerated() { source[axis] = index[i] }
                return t[element: source]
            }
        }
        return [
            OperationCheck(operation: "reshape", cases: [
                sample("reshaped", [x], reference: Tensor(shape: [4, 6], scalars: x.scalars)) { $0[0].reshaped(to: [4, -1]) },
                sample("flattened", [x], reference: Tensor(shape: [24], scalars: x.scalars)) { $0[0].flattened() },
                sample("squeezed", [column], reference: Tensor(shape: [3], scalars: column.scalars)) { $0[0].squeezed() },
                sample("expandingShape", [x], reference: Tensor(shape: [2, 1, 3, 4], scalars: x.scalars)) { $0[0].expandingShape(at: 1) },
            ]),
            OperationCheck(operation: "permute", cases: [
                sample("permuted", [x], reference: permuted(x, permutation)) { $0[0].permuted(permutation) },
                sample("transposed", [x], reference: permuted(x, [0, 2, 1])) { $0[0].transposed() },
            ]),
            OperationCheck(operation: "broadcast", cases: [
                sample("broadcasted", [column], reference: referenceTensor([2, 3, 4]) { column[element: [$0[1], 0]] }) {
                    $0[0].broadcasted(to: [2, 3, 4])
                },
                sample("summed toShape", [x], reference: Tensor(shape: [3, 1], scalars: referenceReduction(
                    x, axes: [0, 2], keepingDimensions: false) { $0.reduce(0, +) }.scalars)) { $0[0].summed(toShape: [3, 1]) },
            ]),
            OperationCheck(operation: "concatenate", cases: [
                sample("axis 0", [a, b, c], reference: Tensor(shape: [7, 3], scalars: a.scalars + b.scalars + c.scalars)) {
                    concatenate($0, alongAxis: 0)
                },
                sample("axis -1", [a, narrow], reference: referenceTensor([2, 5]) { $0[1] < 3 ? a[element: $0] : narrow[element: [$0[0], $0[1] - 3]] }) {
                    concatenate($0, alongAxis: -1)
                },
                sample("same tensor twice", [a], reference: Tensor(shape: [4, 3], scalars: a.scalars + a.scalars.map { $0 * 2 })) {
                    concatenate([$0[0], $0[0] * 2])
                },
                sample("stack", [a, c.slice(alongAxis: 0, 0..<2)], reference: referenceTensor([2, 2, 3]) { index in
                    (index[1] == 0 ? a : c)[element: [index[0], index[2]]]
                }) { stack($0, alongAxis: 1) },
            ]),
            OperationCheck(operation: "slice", cases: [
                sample("slice", [x], reference: referenceTensor([2, 3, 2]) { x[element: [$0[0], $0[1], $0[2] + 1]] }) {
                    $0[0].slice(alongAxis: 2, 1..<3)
                },
                sample("subscript", [x], reference: referenceTensor([1, 2, 4]) { x[element: [$0[0] + 1, $0[1], $0[2]]] }) {
                    $0[0][[1..<2, 0..<2]]
                },
            ]),
            OperationCheck(operation: "pad", cases: [
                sample("padded", [a], reference: referenceTensor([4, 5]) { index in
                    (1..<3).contains(index[0]) && (2..<5).contains(index[1]) ? a[element: [index[0] - 1, index[1] - 2]] : 0
                }) { $0[0].padded(into: [4, 5], at: [1, 2]) },
            ]),
            OperationCheck(operation: "gatherRows", cases: [
                sample("repeated rows", [c], reference: referenceTensor([5, 3]) { c[element: [rows[$0[0]], $0[1]]] }) {
                    $0[0].gatheringRows(rows)
                },
            ]),
            OperationCheck(operation: "scatterRows", cases: [
                sample("repeated rows", [c], reference: referenceTensor([3, 3]) { index in
                    targets.indices.filter { targets[$0] == index[0] }.map { c[element: [$0, index[1]]] }.reduce(0, +)
                }) { $0[0].scatteringRows(targets, rowCount: 3) },
            ]),
        ]
    }()

    static let products: [OperationCheck] = {
        let (m, k, n) = (3, 4, 2)
        var matmulCases: [Case] = []
        var sumCases: [Case] = []
        for transposeA in [false, true] {
            for transposeB in [false, true] {
                let label = "tA \(transposeA) tB \(transposeB)"
                let aMatrix = transposeA ? [k, m] : [m, k]
                let bMatrix = transposeB ? [n, k] : [k, n]
                let a = testTensor(aMatrix, seed: 60), b = testTensor(bMatrix, seed: 61)
                let batchA = testTensor([2] + aMatrix, seed: 62), batchB = testTensor([2] + bMatrix, seed: 63)
                let square = testTensor([3, 3], seed: 64)
                for (name, left, right) in [("", a, b), ("batch·batch ", batchA, batchB), ("batch·matrix ", batchA, b), ("matrix·batch ", a, batchB)] {
                    matmulCases.append(sample(name + label, [left, right],
                                              reference: referenceMatmul(left, right, transposeA: transposeA, transposeB: transposeB)) {
                        matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB)
                    })
                }
                matmulCases.append(sample("same operand " + label, [square],
                                          reference: referenceMatmul(square, square, transposeA: transposeA, transposeB: transposeB)) {
                    matmul($0[0], $0[0], transposeA: transposeA, transposeB: transposeB)
                })
                let c = testTensor([m, 5], seed: 67), d = testTensor([5, n], seed: 68), bias = testTensor([n], seed: 69)
                let product = referenceMatmul(a, b, transposeA: transposeA, transposeB: transposeB)
                let withBias = referenceTensor([m, n]) { product[element: $0] + referenceMatmul(c, d, transposeA: false, transposeB: false)[element: $0] + bias[element: [$0[1]]] }
                sumCases.append(sample("two products and a bias " + label, [a, b, c, d, bias], reference: withBias) { x in
                    sumOfProducts(
                        [MatrixProduct(a: x[0], b: x[1], transposeA: transposeA, transposeB: transposeB), MatrixProduct(a: x[2], b: x[3])],
                        plus: x[4])
                })
                sumCases.append(sample("one product " + label, [a, b], reference: product) { x in
                    sumOfProducts([MatrixProduct(a: x[0], b: x[1], transposeA: transposeA, transposeB: transposeB)], plus: nil)
                })
            }
        }
        let square = testTensor([3, 3], seed: 70), row = testTensor([3], seed: 71)
        let shared = referenceTensor([3, 3]) {
            referenceMatmul(square, square, transposeA: false, transposeB: false)[element: $0]
                + referenceMatmul(square, square, transposeA: true, transposeB: false)[element: $0] + row[element: [$0[1]]]
        }
        sumCases.append(sample("shared operand", [square, row], reference: shared) { x in
            sumOfProducts([MatrixProduct(a: x[0], b: x[0]), MatrixProduct(a: x[0], b: x[0], transposeA: true)], plus: x[1])
        })
        return [
            OperationCheck(operation: "matmul", composed: false, cases: matmulCases),
            OperationCheck(operation: "sumOfProducts", cases: sumCases),
        ]
    }()
}

@Suite struct OperationCheckTableTests {
    @Test(arguments: OperationCheck.table)
    func operationPassesEveryCheck(_ row: OperationCheck) {
        for check in row.cases {
            expectOperationChecks(
                "\(row.operation) \(check.label)", at: check.inputs, smooth: row.smooth, composed: row.composed,
                reference: check.reference, check.function)
        }
    }
}
