import Foundation
import Testing
@testable import Feedforward

@Suite struct MatrixMultiplyTests {
    @Test func twoDimensionalWithTransposes() {
        let sizes = [(1, 1, 1), (1, 7, 1), (7, 1, 17), (17, 7, 1), (7, 17, 7), (1, 17, 17), (2, 0, 3)]
        var seed: UInt64 = 1
        for (m, k, n) in sizes {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    seed += 1
                    let a = testTensor(transposeA ? [k, m] : [m, k], seed: seed)
                    let b = testTensor(transposeB ? [n, k] : [k, n], seed: seed + 1000)
                    let expected = naiveMatmul(a.scalars, b.scalars, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
                    let label = "m \(m) k \(k) n \(n) tA \(transposeA) tB \(transposeB)"
                    expectTensor(matmul(a, b, transposeA: transposeA, transposeB: transposeB), shape: [m, n], expected, tolerance: 1e-13, label)
                    let f = matmul(Tensor<Float>(a), Tensor<Float>(b), transposeA: transposeA, transposeB: transposeB)
                    expectTensor(f, shape: [m, n], expected, tolerance: 1e-5, "Float " + label)
                }
            }
        }
    }

    @Test func batched() {
        let batch = 3
        var seed: UInt64 = 500
        for (m, k, n) in [(2, 3, 4), (7, 1, 5), (1, 17, 2)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    seed += 2
                    let aMatrix = transposeA ? [k, m] : [m, k]
                    let bMatrix = transposeB ? [n, k] : [k, n]
                    let label = "m \(m) k \(k) n \(n) tA \(transposeA) tB \(transposeB)"
                    // [B, m, k] · [B, k, n]
                    let a = testTensor([batch] + aMatrix, seed: seed)
                    let b = testTensor([batch] + bMatrix, seed: seed + 1)
                    var expected: [Double] = []
                    for i in 0..<batch {
                        expected += naiveMatmul(
                            Array(a.scalars[(i * m * k)..<((i + 1) * m * k)]), Array(b.scalars[(i * k * n)..<((i + 1) * k * n)]),
                            m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
                    }
                    expectTensor(matmul(a, b, transposeA: transposeA, transposeB: transposeB), shape: [batch, m, n], expected, tolerance: 1e-13, "batch·batch " + label)

                    // [B, m, k] · [k, n]
                    let shared = testTensor(bMatrix, seed: seed + 7)
                    expected = []
                    for i in 0..<batch {
                        expected += naiveMatmul(Array(a.scalars[(i * m * k)..<((i + 1) * m * k)]), shared.scalars, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
                    }
                    expectTensor(matmul(a, shared, transposeA: transposeA, transposeB: transposeB), shape: [batch, m, n], expected, tolerance: 1e-13, "batch·matrix " + label)

                    // [m, k] · [B, k, n]
                    let single = testTensor(aMatrix, seed: seed + 9)
                    expected = []
                    for i in 0..<batch {
                        expected += naiveMatmul(single.scalars, Array(b.scalars[(i * k * n)..<((i + 1) * k * n)]), m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
                    }
                    expectTensor(matmul(single, b, transposeA: transposeA, transposeB: transposeB), shape: [batch, m, n], expected, tolerance: 1e-13, "matrix·batch " + label)
                }
            }
        }
    }

    @Test func higherRankBatches() {
        let a = testTensor([2, 2, 3, 4], seed: 77)
        let b = testTensor([2, 2, 4, 5], seed: 78)
        let c = matmul(a, b)
        #expect(c.shape == [2, 2, 3, 5])
        var expected: [Double] = []
        for i in 0..<4 {
            expected += naiveMatmul(Array(a.scalars[(i * 12)..<((i + 1) * 12)]), Array(b.scalars[(i * 20)..<((i + 1) * 20)]), m: 3, n: 5, k: 4, transposeA: false, transposeB: false)
        }
        expectTensor(c, shape: [2, 2, 3, 5], expected, tolerance: 1e-13)
        let w = testTensor([4, 5], seed: 79)
        #expect(matmul(a, w).shape == [2, 2, 3, 5])
    }

    @Test func emptyOperands() {
        // An empty inner dimension gives zeros; empty outer dimensions give empty results.
        #expect(matmul(Tensor<Double>.zeros(shape: [2, 0]), Tensor<Double>.zeros(shape: [0, 3])) == Tensor.zeros(shape: [2, 3]))
        #expect(matmul(Tensor<Double>.zeros(shape: [2, 3, 0]), Tensor<Double>.zeros(shape: [0, 4])) == Tensor.zeros(shape: [2, 3, 4]))
        #expect(matmul(Tensor<Double>.zeros(shape: [2, 0, 3]), Tensor<Double>.zeros(shape: [3, 4])).shape == [2, 0, 4])
        #expect(matmul(Tensor<Double>.zeros(shape: [0, 2, 3]), Tensor<Double>.zeros(shape: [3, 4])).shape == [0, 2, 4])
        #expect(matmul(Tensor<Double>.zeros(shape: [0, 2, 3]), Tensor<Double>.zeros(shape: [0, 3, 4])).shape == [0, 2, 4])
        #expect(matmul(Tensor<Double>.zeros(shape: [3, 0]), Tensor<Double>.zeros(shape: [2, 3, 5]), transposeA: true).shape == [2, 0, 5])
        let g = gradient(at: Tensor<Double>.zeros(shape: [2, 3, 0])) { matmul($0, Tensor<Double>.ones(shape: [0, 4])).sum() }
        #expect(g.shape == [2, 3, 0])
    }

    @Test func identityAndSpecialValues() {
        let a = testTensor([5, 5], seed: 4)
        #expect(matmul(a, Tensor.identity(size: 5)) == a)
        #expect(matmul(Tensor.identity(size: 5), a) == a)
        let n: Tensor<Double> = [[1, .scalar(.nan)], [0, 1]]
        let r = matmul(n, Tensor<Double>.identity(size: 2))
        // NaN · 0 is NaN, so the whole first row is NaN; the second row is clean.
        #expect(r.scalars[0].isNaN && r.scalars[1].isNaN)
        #expect(Array(r.scalars[2...]) == [0, 1])
        let inf: Tensor<Double> = [[.scalar(.infinity), 1]]
        #expect(matmul(inf, Tensor<Double>(shape: [2, 1], scalars: [1, 1])).scalars == [.infinity])
    }
}
