import Foundation
import Testing
@testable import Feedforward

/// Reduces `axes` of `x` (shape `shape`) with `combine`, computed in the test by visiting every index.
private func referenceReduce(
    _ x: [Double], shape: [Int], axes: Set<Int>, keepingDimensions: Bool, _ combine: ([Double]) -> Double
) -> (shape: [Int], scalars: [Double]) {
    let kept = shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    var groups = [[Double]](repeating: [], count: kept.reduce(1, *))
    for (offset, index) in allIndices(shape).enumerated() {
        let target = index.enumerated().map { axes.contains($0.offset) ? 0 : $0.element }
        groups[broadcastOffset(target, in: kept)].append(x[offset])
    }
    let resultShape = keepingDimensions ? kept : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    return (resultShape, groups.map(combine))
}

private func subsets(_ n: Int) -> [[Int]] {
    (0..<(1 << n)).map { mask in (0..<n).filter { mask & (1 << $0) != 0 } }
}

@Suite struct ReductionTests {
    let shape = [2, 3, 4]
    let values = testValues(24, seed: 11, lower: -2, upper: 2)

    @Test func reductionsAlongEveryAxisSet() {
        let x = Tensor(shape: shape, scalars: values)
        let sum: ([Double]) -> Double = { $0.reduce(0, +) }
        let mean: ([Double]) -> Double = { $0.reduce(0, +) / Double($0.count) }
        let maximum: ([Double]) -> Double = { $0.max()! }
        let minimum: ([Double]) -> Double = { $0.min()! }
        let logSumExp: ([Double]) -> Double = { Foundation.log($0.map { Foundation.exp($0) }.reduce(0, +)) }
        for axes in subsets(3) {
            for keep in [false, true] {
                let label = "axes \(axes) keep \(keep)"
                func check(_ actual: Tensor<Double>, _ combine: ([Double]) -> Double, _ name: String) {
                    let expected = referenceReduce(values, shape: shape, axes: Set(axes), keepingDimensions: keep, combine)
                    expectTensor(actual, shape: expected.shape, expected.scalars, tolerance: 1e-13, "\(name) \(label)")
                }
                check(x.sum(alongAxes: axes, keepingDimensions: keep), sum, "sum")
                check(x.mean(alongAxes: axes, keepingDimensions: keep), mean, "mean")
                check(x.max(alongAxes: axes, keepingDimensions: keep), maximum, "max")
                check(x.min(alongAxes: axes, keepingDimensions: keep), minimum, "min")
                check(x.logSumExp(alongAxes: axes, keepingDimensions: keep), logSumExp, "logSumExp")
                // Negative axes name the same dimensions.
                check(x.sum(alongAxes: axes.map { $0 - 3 }, keepingDimensions: keep), sum, "sum negative")
            }
        }
        // All axes give rank 0.
        let total = x.sum()
        #expect(total.shape == [])
        #expect(isClose(total.scalar, values.reduce(0, +), tolerance: 1e-13))
        #expect(x.mean().shape == [] && isClose(x.mean().scalar, values.reduce(0, +) / 24, tolerance: 1e-13))
        #expect(x.max().scalar == values.max()!)
        #expect(x.min().scalar == values.min()!)
        #expect(x.sum(keepingDimensions: true).shape == [1, 1, 1])
        // Single-axis forms and duplicates.
        #expect(x.sum(alongAxis: 1) == x.sum(alongAxes: [1]))
        #expect(x.mean(alongAxis: -1, keepingDimensions: true) == x.mean(alongAxes: [2], keepingDimensions: true))
        #expect(x.sum(alongAxes: [0, 0, -3]) == x.sum(alongAxes: [0]))
    }

    @Test func floatReductions() {
        let x = Tensor<Float>(Tensor(shape: shape, scalars: values))
        let expected = referenceReduce(values, shape: shape, axes: [0, 2], keepingDimensions: false) { $0.reduce(0, +) }
        expectTensor(x.sum(alongAxes: [0, 2]), shape: expected.shape, expected.scalars, tolerance: 1e-5)
        let big = Tensor<Float>.ones(shape: [1000, 3]).sum(alongAxes: [0])
        #expect(big.scalars == [1000, 1000, 1000])
        let longRow = Tensor<Float>.ones(shape: [3, 1001]).sum(alongAxes: [1])
        #expect(longRow.scalars == [1001, 1001, 1001])
    }

    @Test func rankZeroAndEmptyReductions() {
        let s = Tensor<Double>(2.5)
        #expect(s.sum() == s)
        #expect(s.mean().scalar == 2.5)
        #expect(s.max().scalar == 2.5)
        #expect(isClose(s.logSumExp().scalar, 2.5))

        let e = Tensor<Double>.zeros(shape: [0, 3])
        expectTensor(e.sum(alongAxes: [0]), shape: [3], [0, 0, 0])
        expectTensor(e.sum(alongAxes: [1]), shape: [0], [])
        expectTensor(e.sum(alongAxes: [1], keepingDimensions: true), shape: [0, 1], [])
        expectTensor(e.sum(), shape: [], [0])
        expectTensor(e.max(alongAxes: [0]), shape: [3], [-.infinity, -.infinity, -.infinity])
        expectTensor(e.min(alongAxes: [0]), shape: [3], [.infinity, .infinity, .infinity])
        expectTensor(e.logSumExp(alongAxes: [0]), shape: [3], [-.infinity, -.infinity, -.infinity])
        #expect(e.mean(alongAxes: [0]).scalars.allSatisfy { $0.isNaN })
    }

    @Test func nanAndInfinityPropagate() {
        let x: Tensor<Double> = [[1, .scalar(.nan), 3], [4, 5, 6]]
        expectTensor(x.sum(alongAxes: [1]), shape: [2], [.nan, 15])
        expectTensor(x.max(alongAxes: [1]), shape: [2], [.nan, 6])
        expectTensor(x.min(alongAxes: [1]), shape: [2], [.nan, 4])
        expectTensor(x.max(alongAxes: [0]), shape: [3], [4, .nan, 6])
        expectTensor(x.min(alongAxes: [0]), shape: [3], [1, .nan, 3])
        expectTensor(Tensor<Double>([.nan, 1]).max(), shape: [], [.nan])
        expectTensor(Tensor<Double>([1, .nan]).min(), shape: [], [.nan])
        expectTensor(x.logSumExp(alongAxes: [1]), shape: [2], [.nan, Foundation.log(Foundation.exp(4) + Foundation.exp(5) + Foundation.exp(6))], tolerance: 1e-14)
        let inf: Tensor<Double> = [[.scalar(.infinity), 1], [.scalar(-.infinity), .scalar(-.infinity)], [.scalar(.infinity), .scalar(-.infinity)]]
        expectTensor(inf.sum(alongAxes: [1]), shape: [3], [.infinity, -.infinity, .nan])
        expectTensor(inf.max(alongAxes: [1]), shape: [3], [.infinity, -.infinity, .infinity])
        expectTensor(inf.logSumExp(alongAxes: [1]), shape: [3], [.infinity, -.infinity, .infinity])
    }

    @Test func logSumExpOfNonFiniteRankZeroAndNoAxes() {
        // The stabilising shift must not overwrite the input when no axis is reduced.
        for value in [Double.infinity, -.infinity] {
            let x = Tensor<Double>(value)
            #expect(x.logSumExp().scalars == [value])
            #expect(x.scalars == [value])
        }
        let v: Tensor<Double> = [.scalar(.infinity), .scalar(-.infinity), 2]
        #expect(v.logSumExp(alongAxes: []).scalars == [.infinity, -.infinity, 2])
        #expect(v.scalars[0] == .infinity && v.scalars[1] == -.infinity)
    }

    @Test func logSumExpAndSoftmaxAtExtremes() {
        for big in [1e4, -1e4] {
            let d = Tensor<Double>(shape: [2, 2], scalars: [big, big, big, big - 1])
            let l = d.logSumExp(alongAxes: [1])
            #expect(l.scalars.allSatisfy { $0.isFinite })
            #expect(isClose(l.scalars[0], big + Foundation.log(2), tolerance: 1e-15))
            #expect(isClose(l.scalars[1], big + Foundation.log(1 + Foundation.exp(-1)), tolerance: 1e-15))
            let f = Tensor<Float>(d)
            let lf = f.logSumExp(alongAxes: [1])
            #expect(lf.scalars.allSatisfy { $0.isFinite })
            #expect(Swift.abs(Double(lf.scalars[0]) - (big + Foundation.log(2))) < 1e-2)
        }
        let x: Tensor<Double> = [1e4, 0, -1e4]
        expectTensor(logSoftmax(x), shape: [3], [0, -1e4, -2e4])
        expectTensor(softmax(x), shape: [3], [1, 0, 0])
        let xf: Tensor<Float> = [1e4, 0, -1e4]
        #expect(logSoftmax(xf).scalars == [0, -1e4, -2e4])
        #expect(softmax(xf).scalars == [1, 0, 0])
        expectTensor(softmax(Tensor<Double>([1e4, 1e4])), shape: [2], [0.5, 0.5])
    }

    @Test func softmaxRowsSumToOne() {
        let x = testTensor([4, 5], seed: 3, lower: -5, upper: 5)
        let values = x.scalars
        for axis in [-1, 1, 0] {
            let normalizedAxis = (axis + 2) % 2
            let y = softmax(x, alongAxis: axis)
            let sums = y.sum(alongAxes: [normalizedAxis])
            #expect(sums.scalars.allSatisfy { Swift.abs($0 - 1) < 1e-14 }, "\(sums.scalars)")
            let expected = referenceReduce(values, shape: [4, 5], axes: [normalizedAxis], keepingDimensions: true) { $0.map { Foundation.exp($0) }.reduce(0, +) }
            let reference = allIndices([4, 5]).enumerated().map { offset, index in
                Foundation.exp(values[offset]) / expected.scalars[broadcastOffset(index, in: expected.shape)]
            }
            expectTensor(y, shape: [4, 5], reference, tolerance: 1e-13, "softmax axis \(axis)")
            expectTensor(logSoftmax(x, alongAxis: axis), shape: [4, 5], reference.map { Foundation.log($0) }, tolerance: 1e-13, "logSoftmax axis \(axis)")
        }
    }

    @Test func argmaxAndArgmin() {
        let x: Tensor<Double> = [[1, 5, 3], [7, 2, 7]]
        #expect(x.argmax() == [1, 0])
        #expect(x.argmax(alongAxis: 1) == [1, 0])
        #expect(x.argmax(alongAxis: 0) == [1, 0, 1])
        #expect(x.argmin(alongAxis: -1) == [0, 1])
        #expect(x.argmin(alongAxis: 0) == [0, 1, 0])
        let cube = Tensor(shape: shape, scalars: values)
        for axis in 0..<3 {
            let expectedMax = referenceArgReduce(values, shape: shape, axes: [axis], keepingDimensions: false) { $0.firstIndex(of: $0.max()!)! }
            let expectedMin = referenceArgReduce(values, shape: shape, axes: [axis], keepingDimensions: false) { $0.firstIndex(of: $0.min()!)! }
            #expect(cube.argmax(alongAxis: axis) == expectedMax.scalars.map { Int($0) })
            #expect(cube.argmin(alongAxis: axis) == expectedMin.scalars.map { Int($0) })
        }
        #expect(Tensor<Double>([1, .nan, 3]).argmax() == [1])
        #expect(Tensor<Double>([4]).argmax() == [0])
        #expect(Tensor<Float>([-.infinity, -.infinity]).argmax() == [0])
    }
}

private func referenceArgReduce(
    _ x: [Double], shape: [Int], axes: Set<Int>, keepingDimensions: Bool, _ index: ([Double]) -> Int
) -> (shape: [Int], scalars: [Double]) {
    referenceReduce(x, shape: shape, axes: axes, keepingDimensions: keepingDimensions) { Double(index($0)) }
}
