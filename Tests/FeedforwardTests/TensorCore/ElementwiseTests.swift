import Foundation
import Testing
@testable import Feedforward

/// A unary operation and its scalar reference, computed with Foundation in the test.
private struct UnaryCase: Sendable {
    let name: String
    let double: @Sendable (Tensor<Double>) -> Tensor<Double>
    let float: @Sendable (Tensor<Float>) -> Tensor<Float>
    let reference: @Sendable (Double) -> Double
    let inputs: [Double]
}

private let general: [Double] = [-3, -1.5, -0.5, -1e-9, 0, 0.25, 1, 2.5]
private let positive: [Double] = [1e-3, 0.1, 0.5, 1, 2, 10]

private let unaryCases: [UnaryCase] = [
    UnaryCase(name: "negate", double: { -$0 }, float: { -$0 }, reference: { -$0 }, inputs: general),
    UnaryCase(name: "exp", double: { exp($0) }, float: { exp($0) }, reference: { Foundation.exp($0) }, inputs: general),
    UnaryCase(name: "log", double: { log($0) }, float: { log($0) }, reference: { Foundation.log($0) }, inputs: positive),
    UnaryCase(name: "log1p", double: { log1p($0) }, float: { log1p($0) }, reference: { Foundation.log1p($0) }, inputs: [-0.9, -0.5, -1e-10, 0, 1e-10, 1, 5]),
    UnaryCase(name: "expm1", double: { expm1($0) }, float: { expm1($0) }, reference: { Foundation.expm1($0) }, inputs: general + [1e-10]),
    UnaryCase(name: "sqrt", double: { sqrt($0) }, float: { sqrt($0) }, reference: { $0.squareRoot() }, inputs: [0] + positive),
    UnaryCase(name: "square", double: { square($0) }, float: { square($0) }, reference: { $0 * $0 }, inputs: general),
    UnaryCase(name: "abs", double: { abs($0) }, float: { abs($0) }, reference: { Swift.abs($0) }, inputs: general),
    UnaryCase(name: "sign", double: { sign($0) }, float: { sign($0) }, reference: { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }, inputs: general),
    UnaryCase(name: "sin", double: { sin($0) }, float: { sin($0) }, reference: { Foundation.sin($0) }, inputs: general),
    UnaryCase(name: "cos", double: { cos($0) }, float: { cos($0) }, reference: { Foundation.cos($0) }, inputs: general),
    UnaryCase(name: "atan", double: { atan($0) }, float: { atan($0) }, reference: { Foundation.atan($0) }, inputs: general),
    UnaryCase(name: "tanh", double: { tanh($0) }, float: { tanh($0) }, reference: { Foundation.tanh($0) }, inputs: general),
    UnaryCase(name: "sigmoid", double: { sigmoid($0) }, float: { sigmoid($0) }, reference: { 1 / (1 + Foundation.exp(-$0)) }, inputs: general + [20, -20]),
    UnaryCase(name: "softplus", double: { softplus($0) }, float: { softplus($0) }, reference: { Foundation.log1p(Foundation.exp($0)) }, inputs: general + [20, -20]),
    UnaryCase(name: "relu", double: { relu($0) }, float: { relu($0) }, reference: { Swift.max($0, 0) }, inputs: general),
    UnaryCase(name: "step", double: { step($0) }, float: { step($0) }, reference: { $0 > 0 ? 1 : 0 }, inputs: general),
    UnaryCase(name: "pow 3", double: { pow($0, 3) }, float: { pow($0, 3) }, reference: { Foundation.pow($0, 3) }, inputs: general),
    UnaryCase(name: "pow 2", double: { pow($0, 2) }, float: { pow($0, 2) }, reference: { $0 * $0 }, inputs: general),
    UnaryCase(name: "pow 0.5", double: { pow($0, 0.5) }, float: { pow($0, 0.5) }, reference: { Foundation.pow($0, 0.5) }, inputs: positive),
    UnaryCase(name: "pow -1", double: { pow($0, -1) }, float: { pow($0, -1) }, reference: { 1 / $0 }, inputs: positive),
    UnaryCase(name: "pow 0", double: { pow($0, 0) }, float: { pow($0, 0) }, reference: { _ in 1 }, inputs: general),
    UnaryCase(name: "clamp", double: { clamp($0, min: -1, max: 0.5) }, float: { clamp($0, min: -1, max: 0.5) }, reference: { Swift.min(Swift.max($0, -1), 0.5) }, inputs: general),
    UnaryCase(name: "+ 2", double: { $0 + 2 }, float: { $0 + 2 }, reference: { $0 + 2 }, inputs: general),
    UnaryCase(name: "2 +", double: { 2 + $0 }, float: { 2 + $0 }, reference: { 2 + $0 }, inputs: general),
    UnaryCase(name: "- 2", double: { $0 - 2 }, float: { $0 - 2 }, reference: { $0 - 2 }, inputs: general),
    UnaryCase(name: "2 -", double: { 2 - $0 }, float: { 2 - $0 }, reference: { 2 - $0 }, inputs: general),
    UnaryCase(name: "* 3", double: { $0 * 3 }, float: { $0 * 3 }, reference: { $0 * 3 }, inputs: general),
    UnaryCase(name: "3 *", double: { 3 * $0 }, float: { 3 * $0 }, reference: { 3 * $0 }, inputs: general),
    UnaryCase(name: "/ 4", double: { $0 / 4 }, float: { $0 / 4 }, reference: { $0 / 4 }, inputs: general),
    UnaryCase(name: "2 /", double: { 2 / $0 }, float: { 2 / $0 }, reference: { 2 / $0 }, inputs: positive + [-0.5]),
]

@Suite struct ElementwiseTests {
    @Test func unaryOperationsMatchFoundation() {
        for c in unaryCases {
            let shape = [c.inputs.count]
            expectTensor(c.double(Tensor(shape: shape, scalars: c.inputs)), shape: shape, c.inputs.map(c.reference), tolerance: 1e-14, c.name)
            let float = c.float(Tensor(shape: shape, scalars: c.inputs.map(Float.init)))
            let expected = c.inputs.map { c.reference(Double(Float($0))) }
            #expect(float.shape == shape)
            #expect(
                zip(float.scalars, expected).allSatisfy { Swift.abs(Double($0) - $1) <= 2e-6 * Swift.max(1, Swift.abs($1)) },
                "\(c.name) Float: \(float.scalars) vs \(expected)")
            // Shapes are kept for matrices, rank 0 and empty tensors.
            let matrix = Tensor<Double>(shape: [2, 1], scalars: [c.inputs[0], c.inputs[1]])
            expectTensor(c.double(matrix), shape: [2, 1], [c.inputs[0], c.inputs[1]].map(c.reference), tolerance: 1e-14, c.name)
            expectTensor(c.double(Tensor(c.inputs[2])), shape: [], [c.reference(c.inputs[2])], tolerance: 1e-14, c.name)
            #expect(c.double(Tensor(shape: [0, 3], scalars: [])).shape == [0, 3], "\(c.name)")
        }
    }

    @Test func nanPropagatesThroughUnaryOperations() {
        for c in unaryCases where c.name != "pow 0" {
            let result = c.double(Tensor([.nan]))
            #expect(result.scalars[0].isNaN, "\(c.name)(NaN) = \(result.scalars[0])")
            let float = c.float(Tensor([Float.nan]))
            #expect(float.scalars[0].isNaN, "\(c.name)(NaN) in Float = \(float.scalars[0])")
        }
    }

    @Test func infinities() {
        let x = Tensor<Double>([.infinity, -.infinity])
        expectTensor(exp(x), shape: [2], [.infinity, 0])
        expectTensor(log(Tensor<Double>([.infinity, 0, -1])), shape: [3], [.infinity, -.infinity, .nan])
        expectTensor(log1p(Tensor<Double>([.infinity, -1, -2])), shape: [3], [.infinity, -.infinity, .nan])
        expectTensor(expm1(x), shape: [2], [.infinity, -1])
        expectTensor(sqrt(Tensor<Double>([.infinity, -1])), shape: [2], [.infinity, .nan])
        expectTensor(tanh(x), shape: [2], [1, -1])
        expectTensor(sigmoid(x), shape: [2], [1, 0])
        expectTensor(softplus(x), shape: [2], [.infinity, 0])
        expectTensor(relu(x), shape: [2], [.infinity, 0])
        expectTensor(step(x), shape: [2], [1, 0])
        expectTensor(abs(x), shape: [2], [.infinity, .infinity])
        expectTensor(sign(x), shape: [2], [1, -1])
        expectTensor(atan(x), shape: [2], [Double.pi / 2, -Double.pi / 2])
        expectTensor(square(x), shape: [2], [.infinity, .infinity])
        expectTensor(sin(x), shape: [2], [.nan, .nan])
        expectTensor(x + x, shape: [2], [.infinity, -.infinity])
        expectTensor(x - x, shape: [2], [.nan, .nan])
        expectTensor(x * Tensor(0.0), shape: [2], [.nan, .nan])
        expectTensor(Tensor<Double>([1, -1, 0]) / Tensor(0.0), shape: [3], [.infinity, -.infinity, .nan])
        expectTensor(clamp(x, min: -1, max: 1), shape: [2], [1, -1])
        let fx = Tensor<Float>([.infinity, -.infinity])
        #expect(sigmoid(fx).scalars == [1, 0])
        #expect(softplus(fx).scalars == [.infinity, 0])
    }

    @Test func extremeInputsStayFinite() {
        for v in [1e4, -1e4, 1e3, -1e3, 800, -800] {
            let d = Tensor<Double>([v])
            let f = Tensor<Float>([Float(v)])
            let sig = v > 0 ? 1.0 : 0.0
            let sp = Swift.max(v, 0)
            #expect(sigmoid(d).scalars == [sig], "sigmoid(\(v))")
            #expect(sigmoid(f).scalars == [Float(sig)], "Float sigmoid(\(v))")
            #expect(softplus(d).scalars == [sp], "softplus(\(v))")
            #expect(softplus(f).scalars == [Float(sp)], "Float softplus(\(v))")
            #expect(tanh(d).scalars == [v > 0 ? 1 : -1])
            #expect(tanh(f).scalars == [v > 0 ? 1 : -1])
        }
        // Away from saturation the stable forms keep full relative accuracy.
        #expect(isClose(sigmoid(Tensor<Double>([-30])).scalar, 1 / (1 + Foundation.exp(30)), tolerance: 1e-14))
        #expect(isClose(softplus(Tensor<Double>([-30])).scalar, Foundation.log1p(Foundation.exp(-30)), tolerance: 1e-14))
        #expect(isClose(softplus(Tensor<Double>([30])).scalar, 30 + Foundation.log1p(Foundation.exp(-30)), tolerance: 1e-15))
        // Where the math overflows the result is infinite, as it should be.
        #expect(exp(Tensor<Double>([1e4])).scalars == [.infinity])
        #expect(exp(Tensor<Double>([-1e4])).scalars == [0])
        #expect(expm1(Tensor<Double>([-1e4])).scalars == [-1])
        #expect(expm1(Tensor<Float>([-1e4])).scalars == [-1])
        #expect(log1p(Tensor<Double>([1e4])).scalars == [Foundation.log1p(1e4)])
        #expect(atan(Tensor<Double>([1e4, -1e4])).scalars == [Foundation.atan(1e4), Foundation.atan(-1e4)])
    }

    @Test func arithmeticWithBroadcasting() {
        let cases: [([Int], [Int])] = [
            ([2, 3], [2, 3]), ([2, 3], [3]), ([3], [2, 3]), ([2, 1], [1, 3]), ([2, 3], [2, 1]),
            ([], [2, 3]), ([2, 3], []), ([], []), ([4, 1, 3], [2, 1]), ([2, 1, 3, 1], [4, 1, 2]),
            ([0, 3], [3]), ([0, 3], []), ([1], [0]), ([2, 0], [2, 1]),
        ]
        typealias Op = (name: String, tensor: (Tensor<Double>, Tensor<Double>) -> Tensor<Double>, scalar: (Double, Double) -> Double)
        let operations: [Op] = [
            ("+", { $0 + $1 }, { $0 + $1 }),
            ("-", { $0 - $1 }, { $0 - $1 }),
            ("*", { $0 * $1 }, { $0 * $1 }),
            ("/", { $0 / $1 }, { $0 / $1 }),
            ("pow", { pow(abs($0), $1) }, { Foundation.pow(Swift.abs($0), $1) }),
            ("maximum", { maximum($0, $1) }, { Swift.max($0, $1) }),
            ("minimum", { minimum($0, $1) }, { Swift.min($0, $1) }),
            (".<", { $0 .< $1 }, { $0 < $1 ? 1 : 0 }),
            (".<=", { $0 .<= $1 }, { $0 <= $1 ? 1 : 0 }),
            (".>", { $0 .> $1 }, { $0 > $1 ? 1 : 0 }),
            (".>=", { $0 .>= $1 }, { $0 >= $1 ? 1 : 0 }),
            ("==", { $0.elementsEqual($1) }, { $0 == $1 ? 1 : 0 }),
            ("!=", { $0.elementsNotEqual($1) }, { $0 != $1 ? 1 : 0 }),
        ]
        for (index, (aShape, bShape)) in cases.enumerated() {
            // Small integers so that comparisons see ties.
            var a = testValues(aShape.reduce(1, *), seed: UInt64(index), lower: -3, upper: 3).map { $0.rounded() + 0.5 }
            let b = testValues(bShape.reduce(1, *), seed: UInt64(100 + index), lower: -3, upper: 3).map { $0.rounded() + 0.5 }
            if a.count > 1 && !b.isEmpty { a[1] = b[0] }
            let ta = Tensor(shape: aShape, scalars: a)
            let tb = Tensor(shape: bShape, scalars: b)
            for op in operations {
                let expected = referenceBinary(a, aShape, b, bShape, op.scalar)
                expectTensor(op.tensor(ta, tb), shape: expected.shape, expected.scalars, tolerance: 1e-14, "\(aShape) \(op.name) \(bShape)")
            }
            let fa = Tensor<Float>(ta)
            let fb = Tensor<Float>(tb)
            let sum = referenceBinary(a, aShape, b, bShape, +)
            expectTensor(fa + fb, shape: sum.shape, sum.scalars, "Float \(aShape) + \(bShape)")
            let quotient = referenceBinary(a, aShape, b, bShape, /)
            expectTensor(fa / fb, shape: quotient.shape, quotient.scalars, "Float \(aShape) / \(bShape)")
        }
    }

    @Test func compoundAssignment() {
        var x: Tensor<Double> = [[1, 2], [3, 4]]
        x += Tensor([10, 20])
        #expect(x.scalars == [11, 22, 13, 24])
        x -= Tensor(1.0)
        #expect(x.scalars == [10, 21, 12, 23])
        x *= Tensor<Double>(shape: [2, 1], scalars: [2, -1])
        #expect(x.scalars == [20, 42, -12, -23])
        x /= Tensor([4, 2])
        #expect(x.scalars == [5, 21, -3, -11.5])
        x += 1
        x -= 2
        x *= 2
        x /= 4
        #expect(x.scalars == [2, 10, -2, -6.25])
    }

    @Test func comparisonsWithScalarsAndNaN() {
        let x: Tensor<Double> = [-1, 0, 2, .scalar(.nan)]
        #expect((x .< 0).scalars == [1, 0, 0, 0])
        #expect((x .<= 0).scalars == [1, 1, 0, 0])
        #expect((x .> 0).scalars == [0, 0, 1, 0])
        #expect((x .>= 0).scalars == [0, 1, 1, 0])
        #expect(x.elementsEqual(x).scalars == [1, 1, 1, 0])
        #expect(x.elementsNotEqual(x).scalars == [0, 0, 0, 1])
        let m = maximum(x, Tensor(1.0))
        #expect(Array(m.scalars.prefix(3)) == [1, 1, 2] && m.scalars[3].isNaN)
        let n = minimum(Tensor(1.0), x)
        #expect(Array(n.scalars.prefix(3)) == [-1, 0, 1] && n.scalars[3].isNaN)
        let p = pow(Tensor<Double>([.nan, 1]), Tensor(0.0))
        #expect(p.scalars == [1, 1])  // IEEE pow(x, 0) = 1, even for NaN
    }

    @Test func whereSelectsWithBroadcasting() {
        let condition = Tensor<Double>(shape: [2, 1], scalars: [1, 0])
        let a: Tensor<Double> = [1, 2, 3]
        let b = Tensor<Double>(-1)
        let r = `where`(condition, a, b)
        #expect(r.shape == [2, 3])
        #expect(r.scalars == [1, 2, 3, -1, -1, -1])
        let x: Tensor<Double> = [[-2, 5], [3, -4]]
        let s = `where`(x .> 0, x, x * 10)
        #expect(s.scalars == [-20, 5, 3, -40])
        let nanCondition = `where`(Tensor<Double>([.nan, 0]), Tensor([1, 1]), Tensor([2, 2]))
        #expect(nanCondition.scalars == [1, 2])  // NaN is non-zero
        #expect(`where`(Tensor<Double>.zeros(shape: [0, 2]), Tensor(1.0), Tensor(2.0)).shape == [0, 2])
    }
}
