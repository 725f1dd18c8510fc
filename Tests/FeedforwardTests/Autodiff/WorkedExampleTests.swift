import Foundation
import Testing
@testable import Feedforward

/// Row-major matrix product with plain loops.
private func product(_ a: [Double], _ b: [Double], _ m: Int, _ k: Int, _ n: Int) -> [Double] {
    naiveMatmul(a, b, m: m, n: n, k: k, transposeA: false, transposeB: false)
}

private func transpose(_ a: [Double], _ rows: Int, _ columns: Int) -> [Double] {
    (0..<(rows * columns)).map { index in a[(index % rows) * columns + index / rows] }
}

@Suite struct WorkedExampleTests {
    /// Section 6.5.7: one hidden ReLU layer, J = cross-entropy + λ(Σ W1² + Σ W2²).
    @Test func singleLayerPerceptronGradients() {
        let (batch, inputs, hidden, classes) = (5, 4, 6, 3)
        let lambda = 0.01
        let xs = testValues(batch * inputs, seed: 130)
        let w1s = testValues(inputs * hidden, seed: 131)
        let w2s = testValues(hidden * classes, seed: 132)
        let labels = [0, 2, 1, 2, 0]
        let x = Tensor(shape: [batch, inputs], scalars: xs)
        let w1 = Tensor(shape: [inputs, hidden], scalars: w1s)
        let w2 = Tensor(shape: [hidden, classes], scalars: w2s)
        let y: Tensor<Double> = oneHot(labels, classCount: classes)

        let cost: ([Tensor<Double>]) -> Tensor<Double> = { weights in
            let h = relu(matmul(x, weights[0]))
            let u2 = matmul(h, weights[1])
            let crossEntropy = -(y * logSoftmax(u2)).sum(alongAxes: [1]).mean()
            return crossEntropy + lambda * ((weights[0] * weights[0]).sum() + (weights[1] * weights[1]).sum())
        }
        let (value, gradients) = valueWithGradient(at: [w1, w2], of: cost)

        // By hand, with plain loops.
        let u1 = product(xs, w1s, batch, inputs, hidden)
        let h = u1.map { Swift.max($0, 0) }
        let u2 = product(h, w2s, batch, hidden, classes)
        var g = [Double](repeating: 0, count: batch * classes)  // (softmax(U2) - Y) / batch
        var crossEntropy = 0.0
        for i in 0..<batch {
            let row = Array(u2[(i * classes)..<((i + 1) * classes)])
            let largest = row.max()!
            let total = row.map { Foundation.exp($0 - largest) }.reduce(0, +)
            for j in 0..<classes {
                let p = Foundation.exp(row[j] - largest) / total
                g[i * classes + j] = (p - (labels[i] == j ? 1 : 0)) / Double(batch)
            }
            crossEntropy -= (row[labels[i]] - largest - Foundation.log(total)) / Double(batch)
        }
        let penalty = lambda * (w1s.map { $0 * $0 }.reduce(0, +) + w2s.map { $0 * $0 }.reduce(0, +))
        #expect(isClose(value.scalar, crossEntropy + penalty, tolerance: 1e-13))

        // ∇W2 J = Hᵀ G + 2λ W2
        let gradientW2 = zip(product(transpose(h, batch, hidden), g, hidden, batch, classes), w2s).map { $0 + 2 * lambda * $1 }
        // G′ = (G W2ᵀ) ⊙ step(U1);  ∇W1 J = Xᵀ G′ + 2λ W1
        let backToHidden = product(g, transpose(w2s, hidden, classes), batch, classes, hidden)
        let gPrime = zip(backToHidden, u1).map { $1 > 0 ? $0 : 0 }
        let gradientW1 = zip(product(transpose(xs, batch, inputs), gPrime, inputs, batch, hidden), w1s).map { $0 + 2 * lambda * $1 }

        expectTensor(gradients[1], shape: [hidden, classes], gradientW2, tolerance: 1e-13, "∇W2")
        expectTensor(gradients[0], shape: [inputs, hidden], gradientW1, tolerance: 1e-13, "∇W1")
        // Some hidden units are inactive, so the step matters.
        #expect(u1.contains { $0 < 0 } && u1.contains { $0 > 0 })

        // The same through eager backward on leaves.
        let l1 = w1.requiringGradient()
        let l2 = w2.requiringGradient()
        cost([l1, l2]).backward()
        #expect(l1.gradient!.isApproximatelyEqual(to: gradients[0], absoluteTolerance: 1e-15, relativeTolerance: 1e-13))
        #expect(l2.gradient!.isApproximatelyEqual(to: gradients[1], absoluteTolerance: 1e-15, relativeTolerance: 1e-13))

        // And the gradient check agrees (ReLU kinks are not hit at these values).
        #expect(u1.allSatisfy { Swift.abs($0) > 1e-4 })
        let check = gradientCheck(at: [w1, w2], of: cost)
        #expect(check.passed, "\(check)")
    }
}
