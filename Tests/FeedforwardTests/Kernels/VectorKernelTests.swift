import Foundation
import RealModule
import Testing
@testable import Feedforward

// The C element-wise kernels (elementwise.c) against the scalar Swift formulas, bit for bit, for every
// kernel variant this CPU runs and on 1 and 2 threads, on awkward lengths and special values.

/// Values that exercise every branch: signs, zeros of both signs, NaN, infinities, subnormals, large.
private func specialValues<T: TensorScalar>(_ count: Int, seed: UInt64) -> [T] {
    var state = seed
    let specials: [T] = [0, -0.0, 1, -1, .nan, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNormalMagnitude, 1e30, -3.5]
    return (0..<count).map { i in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        if i % 7 == 3 { return specials[Int(state >> 33) % specials.count] }
        return T(Double(Int64(bitPattern: state >> 11) % 2_000_001) / 1_000_000 - 1)
    }
}

/// Whether two arrays hold the same bits (every NaN is the same NaN for this purpose).
private func sameBits<T: TensorScalar>(_ a: [T], _ b: [T]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in (x.isNaN && y.isNaN) || x == y && x.sign == y.sign }
}

private let lengths = [1, 7, 15, 16, 17, 31, 33, 64, 100, 1000]

private func unaryFailures<T: TensorScalar>(_ type: T.Type) -> [String] {
    var failures: [String] = []
    for operation in [UnaryOperation.negate, .square, .abs, .relu, .step, .scale, .shift] {
        for n in lengths {
            let x: [T] = specialValues(n, seed: UInt64(n))
            var kernel = [T](repeating: 7, count: n), reference = [T](repeating: 7, count: n)
            let handled = x.withUnsafeBufferPointer { xp in
                kernel.withUnsafeMutableBufferPointer { vectorUnary(operation, xp.baseAddress!, $0.baseAddress!, n, T(-2.5)) }
            }
            x.withUnsafeBufferPointer { xp in
                reference.withUnsafeMutableBufferPointer { unaryLoop(operation, xp.baseAddress!, $0.baseAddress!, n, T(-2.5)) }
            }
            if !handled { failures.append("\(T.self) \(operation): not run by the C kernels") }
            if !sameBits(kernel, reference) { failures.append("\(T.self) \(operation) n=\(n): differs from the Swift loop") }
        }
    }
    return failures
}

private func binaryFailures<T: TensorScalar>(_ type: T.Type) -> [String] {
    var failures: [String] = []
    let cases: [(BinaryOperation, Int, Int)] = [
        (.add, 1, 1), (.add, 1, 0), (.add, 0, 1), (.subtract, 1, 1), (.subtract, 1, 0), (.subtract, 0, 1),
        (.multiply, 1, 1), (.multiply, 1, 0), (.multiply, 0, 1), (.divide, 1, 1), (.divide, 1, 0),
        (.passWherePositive, 1, 1),
    ]
    for (operation, sa, sb) in cases {
        for n in lengths {
            let a: [T] = specialValues(n, seed: UInt64(n) + 1), b: [T] = specialValues(n, seed: UInt64(n) + 2)
            var kernel = [T](repeating: 7, count: n), reference = [T](repeating: 7, count: n)
            let handled = kernel.withUnsafeMutableBufferPointer { y in
                vectorBinaryRow(operation, a.withUnsafeBufferPointer { $0.baseAddress! }, sa, b.withUnsafeBufferPointer { $0.baseAddress! }, sb, y.baseAddress!, n)
            }
            reference.withUnsafeMutableBufferPointer { y in
                binaryRow(operation, a.withUnsafeBufferPointer { $0.baseAddress! }, sa, b.withUnsafeBufferPointer { $0.baseAddress! }, sb, y.baseAddress!, n)
            }
            if !handled { failures.append("\(T.self) \(operation) (\(sa), \(sb)): not run by the C kernels") }
            if !sameBits(kernel, reference) { failures.append("\(T.self) \(operation) (\(sa), \(sb)) n=\(n): differs from the Swift loop") }
        }
    }
    // Not run by the C kernels: the Swift loop takes them.
    var y: [T] = [0, 0]
    let one: [T] = [1, 2]
    let declined = y.withUnsafeMutableBufferPointer { yp in
        one.withUnsafeBufferPointer { vectorBinaryRow(.divide, $0.baseAddress!, 0, $0.baseAddress!, 1, yp.baseAddress!, 2) }
            || one.withUnsafeBufferPointer { vectorBinaryRow(.maximum, $0.baseAddress!, 1, $0.baseAddress!, 1, yp.baseAddress!, 2) }
    }
    if declined { failures.append("\(T.self): the C kernels claimed an operation they do not run") }
    return failures
}

private func sumFailures<T: TensorScalar>(_ type: T.Type) -> [String] {
    var failures: [String] = []
    for (length, inner) in [(1, 1), (3, 17), (128, 256), (5, 1000), (64, 33)] {
        let x: [T] = specialValues(length * inner, seed: UInt64(length * 31 + inner)).map { $0.isFinite ? $0 : 0.25 }
        var kernel = [T](repeating: 7, count: inner)
        var reference = [T](repeating: 0, count: inner)
        for j in 0..<length { for i in 0..<inner { reference[i] += x[j * inner + i] } }
        x.withUnsafeBufferPointer { xp in
            kernel.withUnsafeMutableBufferPointer { _ = vectorSumRows(xp.baseAddress!, $0.baseAddress!, length: length, inner: inner) }
        }
        if !sameBits(kernel, reference) { failures.append("\(T.self) sum of \(length) rows of \(inner): differs") }
    }
    return failures
}

private func optimizerFailures<T: TensorScalar>(_ type: T.Type) -> [String] {
    var failures: [String] = []
    let rules: [OptimizerRule] = [
        .sgd(learningRate: 0.05, momentum: 0, nesterov: false, weightDecay: 0),
        .sgd(learningRate: 0.05, momentum: 0, nesterov: false, weightDecay: 1e-3),
        .sgd(learningRate: 0.05, momentum: 0.9, nesterov: false, weightDecay: 1e-4),
        .sgd(learningRate: 0.1, momentum: 0.8, nesterov: true, weightDecay: 0),
        .rmsProp(learningRate: 1e-3, decay: 0.9, epsilon: 1e-8, weightDecay: 0.01),
        .adam(learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 3, weightDecay: 0.01, decoupled: false),
        .adam(learningRate: 3e-3, beta1: 0.8, beta2: 0.99, epsilon: 1e-7, step: 1000, weightDecay: 0.1, decoupled: true),
    ]
    for (r, rule) in rules.enumerated() {
        for n in lengths + [70_001] {
            let parameters: [T] = specialValues(n, seed: UInt64(n + r))
            let gradients: [T] = specialValues(n, seed: UInt64(n + r + 100))
            let first: [T] = specialValues(n, seed: UInt64(n + 7)).map { $0 * $0 }
            let second: [T] = specialValues(n, seed: UInt64(n + 9)).map { $0 * $0 }
            var (p1, m1, v1) = (parameters, first, second)
            var (p2, m2, v2) = (parameters, first, second)
            p1.withUnsafeMutableBufferPointer { p in m1.withUnsafeMutableBufferPointer { m in v1.withUnsafeMutableBufferPointer { v in
                gradients.withUnsafeBufferPointer { g in
                    T._optimizerStep(rule, parameter: p.baseAddress!, gradient: g.baseAddress!, firstMoment: m.baseAddress!,
                                     secondMoment: v.baseAddress!, count: n)
                }
            } } }
            p2.withUnsafeMutableBufferPointer { p in m2.withUnsafeMutableBufferPointer { m in v2.withUnsafeMutableBufferPointer { v in
                gradients.withUnsafeBufferPointer { g in
                    referenceOptimizerStep(rule, p.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!, n)
                }
            } } }
            if !sameBits(p1, p2) || !sameBits(m1, m2) || !sameBits(v1, v2) {
                failures.append("\(T.self) \(rule) n=\(n): differs from the Swift formulas")
            }
        }
    }
    return failures
}

private func bytesFailures() -> [String] {
    var failures: [String] = []
    for width in lengths {
        let rowCount = 9
        let bytes = (0..<(width * rowCount)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let rows = [3, 0, 8, 3, 5, 1, 7, 2, 6, 4, 8]
        let reference = rows.flatMap { r in bytes[(r * width)..<((r + 1) * width)].map { Float($0) * (1 / 255) } }
        var kernel = [Float](repeating: 7, count: rows.count * width)
        bytes.withUnsafeBufferPointer { b in
            kernel.withUnsafeMutableBufferPointer { gatherBytes(b.baseAddress!, width: width, rows: rows, to: $0.baseAddress!, scale: 1 / 255) }
        }
        if !sameBits(kernel, reference) { failures.append("gathered bytes to floats, width \(width): differs") }
    }
    return failures
}

/// Ends a child process: success when there are no failures, else the first ones on standard output.
private func exitReporting(_ failures: [String]) -> Never {
    if failures.isEmpty { exit(0) }
    print(failures.prefix(5).joined(separator: "\n"))
    exit(1)
}

@Suite struct VectorKernelTests {
    /// Each variant is forced in a child process (the setting is process-wide).
    @Test func everyVariantGivesTheBitsOfTheSwiftFormulas() async {
        recordOutput(ofFailed: await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            var failures: [String] = []
            for variant in KernelVariant.allCases where variant.isSupported {
                guard ComputeEnvironment.forceKernelVariant(variant) else {
                    failures.append("could not force \(variant)")
                    continue
                }
                for threads in [1, 2] {
                    ComputeEnvironment.threadCount = threads
                    let found = unaryFailures(Float.self) + unaryFailures(Double.self) + binaryFailures(Float.self)
                        + binaryFailures(Double.self) + sumFailures(Float.self) + sumFailures(Double.self)
                        + optimizerFailures(Float.self) + optimizerFailures(Double.self) + bytesFailures()
                    failures += found.map { "\(variant), \(threads) threads: \($0)" }
                }
            }
            exitReporting(failures)
        }, "child process")
    }

    /// The check above can fail: a formula with its operations in another order gives other bits.
    @Test func aDifferentOrderOfOperationsIsCaught() {
        let x: [Float] = specialValues(1000, seed: 5).map { $0.isFinite ? $0 : 1 }
        let rule = OptimizerRule.sgd(learningRate: 0.05, momentum: 0.9, nesterov: false, weightDecay: 1e-4)
        var p1 = x, m1 = x, p2 = x, m2 = x
        let g = x.reversed().map { $0 }
        p1.withUnsafeMutableBufferPointer { p in m1.withUnsafeMutableBufferPointer { m in
            Float._optimizerStep(rule, parameter: p.baseAddress!, gradient: g, firstMoment: m.baseAddress!, secondMoment: nil, count: 1000)
        } }
        for i in 0..<1000 {  // η·v computed as η·μ·m + η·g: the same value in exact arithmetic
            let gradient = g[i] + 1e-4 * p2[i]
            m2[i] = 0.9 * m2[i] + gradient
            p2[i] -= 0.05 * 0.9 * (m2[i] - gradient) / 0.9 + 0.05 * gradient
        }
        #expect(!sameBits(p1, p2))
    }
}

/// The optimizer formulas as the library wrote them in Swift before they moved to the C kernels: the
/// reference the kernels must match bit for bit.
private func referenceOptimizerStep<T: TensorScalar>(
    _ rule: OptimizerRule, _ p: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
    _ m: UnsafeMutablePointer<T>?, _ v: UnsafeMutablePointer<T>?, _ n: Int
) {
    switch rule {
    case .sgd(let learningRate, let momentum, let nesterov, let weightDecay):
        let eta = T(learningRate)
        let mu = T(momentum)
        let lambda = T(weightDecay)
        if let m, momentum != 0 {
            for i in 0..<n {
                let gradient = g[i] + lambda * p[i]
                let velocity = mu * m[i] + gradient
                m[i] = velocity
                p[i] -= eta * (nesterov ? gradient + mu * velocity : velocity)
            }
        } else {
            for i in 0..<n { p[i] -= eta * (g[i] + lambda * p[i]) }
        }
    case .rmsProp(let learningRate, let decay, let epsilon, let weightDecay):
        let eta = T(learningRate)
        let rho = T(decay)
        let eps = T(epsilon)
        let lambda = T(weightDecay)
        guard let v else { preconditionFailure("RMSProp needs a state buffer") }
        for i in 0..<n {
            let gradient = g[i] + lambda * p[i]
            v[i] = rho * v[i] + (1 - rho) * gradient * gradient
            p[i] -= eta * gradient / (v[i].squareRoot() + eps)
        }
    case .adam(let learningRate, let beta1, let beta2, let epsilon, let step, let weightDecay, let decoupled):
        guard let m, let v else { preconditionFailure("Adam needs two state buffers") }
        let b1 = T(beta1)
        let b2 = T(beta2)
        let correction1 = T(1 - Double.pow(beta1, Double(step)))
        let correction2 = T(1 - Double.pow(beta2, Double(step)))
        let eta = T(learningRate)
        let eps = T(epsilon)
        let coupled = decoupled ? 0 : T(weightDecay)
        let shrink = decoupled ? 1 - T(learningRate * weightDecay) : 1
        for i in 0..<n {
            let gradient = g[i] + coupled * p[i]
            m[i] = b1 * m[i] + (1 - b1) * gradient
            v[i] = b2 * v[i] + (1 - b2) * gradient * gradient
            let mHat = m[i] / correction1
            let vHat = v[i] / correction2
            p[i] = p[i] * shrink - eta * mHat / (vHat.squareRoot() + eps)
        }
    }
}
