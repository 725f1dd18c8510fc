import Foundation
import Testing
@testable import Feedforward

@Suite struct ShapeOperationTests {
    let x = Tensor<Double>(shape: [2, 3, 4], scalars: (0..<24).map(Double.init))

    @Test func reshapeFlattenSqueezeExpand() {
        let m = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(m.reshaped(to: [3, 2]).shape == [3, 2])
        #expect(m.reshaped(to: [3, 2]).scalars == m.scalars)
        #expect(m.reshaped(to: [-1]).shape == [6])
        #expect(m.reshaped(to: [3, -1]).shape == [3, 2])
        #expect(m.reshaped(to: [-1, 1, 2]).shape == [3, 1, 2])
        #expect(Tensor<Double>(shape: [1, 1], scalars: [9]).reshaped(to: []).shape == [])
        #expect(Tensor<Double>(9).reshaped(to: [1, 1, 1]).shape == [1, 1, 1])
        #expect(Tensor<Double>.zeros(shape: [0, 3]).reshaped(to: [-1, 3]).shape == [0, 3])
        #expect(Tensor<Double>.zeros(shape: [0, 3]).reshaped(to: [3, 0, 5]).shape == [3, 0, 5])
        #expect(x.flattened().shape == [24] && x.flattened().scalars == x.scalars)
        #expect(Tensor<Double>(4).flattened().shape == [1])

        let ones = Tensor<Double>.zeros(shape: [1, 2, 1, 3])
        #expect(ones.squeezed().shape == [2, 3])
        #expect(ones.squeezed(axes: [0]).shape == [2, 1, 3])
        #expect(ones.squeezed(axes: [-2]).shape == [1, 2, 3])
        #expect(Tensor<Double>.zeros(shape: [1, 1]).squeezed().shape == [])
        #expect(m.expandingShape(at: 0).shape == [1, 2, 3])
        #expect(m.expandingShape(at: 1).shape == [2, 1, 3])
        #expect(m.expandingShape(at: -1).shape == [2, 3, 1])
        #expect(m.expandingShape(at: 2).shape == [2, 3, 1])
        #expect(Tensor<Double>(1).expandingShape(at: 0).shape == [1])
    }

    @Test func permuteAndTranspose() {
        let values = x.scalars
        for permutation in [[0, 1, 2], [2, 0, 1], [1, 0, 2], [2, 1, 0], [0, 2, 1], [1, 2, 0]] {
            let y = x.permuted(permutation)
            let newShape = permutation.map { x.shape[$0] }
            #expect(y.shape == newShape)
            // Result element at index i is x at the index with x[p[k]] = i[k].
            let expected = allIndices(newShape).map { index -> Double in
                var source = [0, 0, 0]
                for (k, p) in permutation.enumerated() { source[p] = index[k] }
                return values[broadcastOffset(source, in: x.shape)]
            }
            #expect(y.scalars == expected, "\(permutation)")
        }
        let m: Tensor<Double> = [[1, 2, 3], [4, 5, 6]]
        #expect(m.transposed().shape == [3, 2])
        #expect(m.transposed().scalars == [1, 4, 2, 5, 3, 6])
        #expect(m.transposed().transposed() == m)
        #expect(x.transposed() == x.permuted([0, 2, 1]))
        #expect(Tensor<Double>.zeros(shape: [0, 3]).transposed().shape == [3, 0])
    }

    @Test func rankFourWithUnitDimensions() {
        let shape = [2, 1, 3, 1]
        let t = testTensor(shape, seed: 9)
        let values = t.scalars
        for permutation in [[3, 2, 1, 0], [0, 2, 1, 3], [2, 0, 3, 1], [1, 3, 0, 2]] {
            let newShape = permutation.map { shape[$0] }
            let expected = allIndices(newShape).map { index -> Double in
                var source = [0, 0, 0, 0]
                for (k, p) in permutation.enumerated() { source[p] = index[k] }
                return values[broadcastOffset(source, in: shape)]
            }
            #expect(t.permuted(permutation).scalars == expected, "\(permutation)")
        }
        let big = testTensor([2, 3, 2, 4], seed: 10)
        for axes in [[0, 2], [1, 3], [0, 3], [0, 1, 3]] {
            var expected = [Double](repeating: 0, count: big.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }.reduce(1, *))
            let kept = big.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
            for (offset, index) in allIndices(big.shape).enumerated() {
                expected[broadcastOffset(index, in: kept)] += big.scalars[offset]
            }
            expectTensor(big.sum(alongAxes: axes, keepingDimensions: true), shape: kept, expected, tolerance: 1e-14, "\(axes)")
            #expect(big.summed(toShape: kept).isApproximatelyEqual(to: Tensor(shape: kept, scalars: expected), absoluteTolerance: 1e-14))
        }
        let column = testTensor([3, 1], seed: 12)
        let row = testTensor([1, 4], seed: 13)
        let sum = referenceBinary(column.scalars, [3, 1], row.scalars, [1, 4], +)
        let full = referenceBinary(sum.scalars, sum.shape, Tensor<Double>.zeros(shape: [2, 1, 1, 1]).scalars, [2, 1, 1, 1], +)
        expectTensor((column + row) + Tensor<Double>.zeros(shape: [2, 1, 1, 1]), shape: full.shape, full.scalars)
    }

    @Test func broadcastAndSumToShape() {
        let v: Tensor<Double> = [1, 2, 3]
        #expect(v.broadcasted(to: [2, 3]).scalars == [1, 2, 3, 1, 2, 3])
        let column = Tensor<Double>(shape: [2, 1], scalars: [1, 2])
        #expect(column.broadcasted(to: [2, 2, 3]).scalars == [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2])
        #expect(Tensor<Double>(7).broadcasted(to: [2, 2]).scalars == [7, 7, 7, 7])
        #expect(Tensor<Double>(7).broadcasted(to: []).scalars == [7])
        #expect(v.broadcasted(to: [0, 3]).shape == [0, 3])
        #expect(v.broadcasted(to: [3]) == v)

        let values = x.scalars
        for target in [[3, 4], [4], [1, 4], [3, 1], [2, 1, 4], [1, 3, 1], [], [1], [2, 3, 4], [1, 1, 1]] {
            let y = x.summed(toShape: target)
            #expect(y.shape == target)
            // Each element of x adds into the target element it broadcasts from.
            var expected = [Double](repeating: 0, count: target.reduce(1, *))
            for (offset, index) in allIndices(x.shape).enumerated() {
                expected[broadcastOffset(index, in: target)] += values[offset]
            }
            #expect(y.scalars == expected, "\(target)")
        }
    }

    @Test func concatenateAndStack() {
        let a: Tensor<Double> = [[1, 2], [3, 4]]
        let b: Tensor<Double> = [[5, 6]]
        let c = Tensor<Double>.zeros(shape: [0, 2])
        #expect(concatenate([a, b, c]).scalars == [1, 2, 3, 4, 5, 6])
        #expect(concatenate([a, b]).shape == [3, 2])
        let d: Tensor<Double> = [[7], [8]]
        let e = concatenate([a, d], alongAxis: 1)
        #expect(e.shape == [2, 3] && e.scalars == [1, 2, 7, 3, 4, 8])
        #expect(concatenate([d, a, Tensor<Double>.zeros(shape: [2, 0])], alongAxis: -1).scalars == [7, 1, 2, 8, 3, 4])
        #expect(concatenate([a]) == a)
        // Rank 3 along the middle axis.
        let p = Tensor<Double>(shape: [2, 1, 2], scalars: [1, 2, 3, 4])
        let q = Tensor<Double>(shape: [2, 2, 2], scalars: [10, 11, 12, 13, 14, 15, 16, 17])
        #expect(concatenate([p, q], alongAxis: 1).scalars == [1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17])

        let u: Tensor<Double> = [1, 2, 3]
        let w: Tensor<Double> = [4, 5, 6]
        #expect(stack([u, w]).shape == [2, 3] && stack([u, w]).scalars == [1, 2, 3, 4, 5, 6])
        #expect(stack([u, w], alongAxis: 1).shape == [3, 2] && stack([u, w], alongAxis: 1).scalars == [1, 4, 2, 5, 3, 6])
        #expect(stack([u, w], alongAxis: -1) == stack([u, w], alongAxis: 1))
        #expect(stack([Tensor<Double>(1), Tensor(2)]).scalars == [1, 2])
        #expect(stack([a, a], alongAxis: 1).shape == [2, 2, 2])
        #expect(stack([a, a], alongAxis: 1).scalars == [1, 2, 1, 2, 3, 4, 3, 4])
    }

    @Test func slicingAndPadding() {
        let m = Tensor<Double>(shape: [3, 4], scalars: (0..<12).map(Double.init))
        #expect(m.slice(alongAxis: 1, 1..<3).scalars == [1, 2, 5, 6, 9, 10])
        #expect(m.slice(alongAxis: 0, 2..<3).scalars == [8, 9, 10, 11])
        #expect(m.slice(alongAxis: -1, 3..<4).shape == [3, 1])
        #expect(m.slice(alongAxis: 0, 1..<1).shape == [0, 4])
        #expect(m[[1..<3, 0..<2]].scalars == [4, 5, 8, 9])
        #expect(m[[1..<2]].scalars == [4, 5, 6, 7])
        #expect(m[[]] == m)
        let values = x.scalars
        let sub = x[[1..<2, 0..<3, 1..<3]]
        #expect(sub.shape == [1, 3, 2])
        #expect(sub.scalars == allIndices([1, 3, 2]).map { values[broadcastOffset([$0[0] + 1, $0[1], $0[2] + 1], in: x.shape)] })

        let small: Tensor<Double> = [[1, 2], [3, 4]]
        let padded = small.padded(into: [3, 4], at: [1, 1])
        #expect(padded.scalars == [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0])
        #expect(padded[[1..<3, 1..<3]] == small)
        #expect(Tensor<Double>(5).padded(into: [], at: []).scalars == [5])
        #expect(Tensor<Double>([1]).padded(into: [3], at: [2]).scalars == [0, 0, 1])
    }

    @Test func gatherScatterOneHot() {
        let m: Tensor<Double> = [[1, 2], [3, 4], [5, 6]]
        #expect(m.gatheringRows([2, 0, 2]).scalars == [5, 6, 1, 2, 5, 6])
        #expect(m.gatheringRows([]).shape == [0, 2])
        #expect(Tensor<Double>([10, 20, 30]).gatheringRows([1, 1]).scalars == [20, 20])
        let g: Tensor<Double> = [[1, 1], [2, 2], [4, 4]]
        let scattered = g.scatteringRows([2, 0, 2], rowCount: 4)
        #expect(scattered.shape == [4, 2])
        #expect(scattered.scalars == [2, 2, 0, 0, 5, 5, 0, 0])
        #expect(Tensor<Double>([1, 2, 3]).scatteringRows([0, 0, 1], rowCount: 2).scalars == [3, 3])

        let h: Tensor<Float> = oneHot([2, 0, 1, 2], classCount: 3)
        #expect(h.shape == [4, 3])
        #expect(h.scalars == [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1])
        let none: Tensor<Double> = oneHot([], classCount: 2)
        #expect(none.shape == [0, 2])
    }
}
