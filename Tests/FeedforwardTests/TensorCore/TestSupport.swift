import Foundation
import Testing
@testable import Feedforward

/// Records an issue with the child's standard output when an exit test's process failed (the exit
/// test itself records only the status).
func recordOutput(ofFailed result: ExitTest.Result?, _ context: String) {
    guard let result, result.exitStatus != .exitCode(0) else { return }
    Issue.record("\(context): \(String(decoding: result.standardOutputContent, as: UTF8.self))")
}

/// SplitMix64: a tiny, fully deterministic generator for reproducible tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A generator that always returns the same word (for extreme draws).
struct ConstantGenerator: RandomNumberGenerator {
    let value: UInt64
    mutating func next() -> UInt64 { value }
}

/// Uniform doubles in `lower..<upper` computed in the test, independent of the library.
func testValues(_ count: Int, seed: UInt64, lower: Double = -1, upper: Double = 1) -> [Double] {
    var generator = SplitMix64(seed: seed)
    return (0..<count).map { _ in lower + (upper - lower) * Double(generator.next() >> 11) * 0x1p-53 }
}

/// A Double tensor of `shape` with test values.
func testTensor(_ shape: [Int], seed: UInt64, lower: Double = -1, upper: Double = 1) -> Tensor<Double> {
    Tensor(shape: shape, scalars: testValues(shape.reduce(1, *), seed: seed, lower: lower, upper: upper))
}

/// Whether two scalars agree to a relative tolerance (NaN matches NaN, infinities must be equal).
func isClose(_ a: Double, _ b: Double, tolerance: Double = 1e-12) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a == b { return true }
    if a.isInfinite || b.isInfinite { return false }
    return Swift.abs(a - b) <= tolerance * Swift.max(1, Swift.abs(b))
}

func allClose(_ a: [Double], _ b: [Double], tolerance: Double = 1e-12) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { isClose($0, $1, tolerance: tolerance) }
}

/// Expects `actual` to have `shape` and scalars close to `expected`.
func expectTensor(
    _ actual: Tensor<Double>, shape: [Int], _ expected: [Double], tolerance: Double = 1e-12,
    _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == shape, "\(comment) shape \(actual.shape) != \(shape)", sourceLocation: sourceLocation)
    #expect(
        allClose(actual.scalars, expected, tolerance: tolerance),
        "\(comment) \(actual.scalars) != \(expected)", sourceLocation: sourceLocation)
}

func expectTensor(
    _ actual: Tensor<Float>, shape: [Int], _ expected: [Double], tolerance: Double = 1e-6,
    _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(actual.shape == shape, "\(comment) shape \(actual.shape) != \(shape)", sourceLocation: sourceLocation)
    #expect(
        allClose(actual.scalars.map(Double.init), expected, tolerance: tolerance),
        "\(comment) \(actual.scalars) != \(expected)", sourceLocation: sourceLocation)
}

/// Row-major multi-indices of `shape`.
func allIndices(_ shape: [Int]) -> [[Int]] {
    var result: [[Int]] = [[]]
    for dimension in shape {
        result = result.flatMap { prefix in (0..<dimension).map { prefix + [$0] } }
    }
    return result
}

/// The row-major offset of `index` in `shape`, broadcasting: `index` belongs to a shape of rank
/// at least `shape.count`; leading axes are dropped and size-1 axes read index 0.
func broadcastOffset(_ index: [Int], in shape: [Int]) -> Int {
    let offset = index.count - shape.count
    var result = 0
    for (axis, dimension) in shape.enumerated() {
        result = result * dimension + (dimension == 1 ? 0 : index[axis + offset])
    }
    return result
}

/// NumPy broadcasting computed in the test.
func referenceBroadcast(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = Swift.max(a.count, b.count)
    let pa = [Int](repeating: 1, count: rank - a.count) + a
    let pb = [Int](repeating: 1, count: rank - b.count) + b
    return zip(pa, pb).map { $0 == 1 ? $1 : $0 }
}

/// Applies `op` element-wise with broadcasting, in the test.
func referenceBinary(
    _ a: [Double], _ aShape: [Int], _ b: [Double], _ bShape: [Int], _ op: (Double, Double) -> Double
) -> (shape: [Int], scalars: [Double]) {
    let shape = referenceBroadcast(aShape, bShape)
    let scalars = allIndices(shape).map { op(a[broadcastOffset($0, in: aShape)], b[broadcastOffset($0, in: bShape)]) }
    return (shape, scalars)
}

/// The plain triple loop `op(A) · op(B)` for row-major matrices stored at the given offsets.
func naiveMatmul(
    _ a: [Double], _ b: [Double], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool
) -> [Double] {
    var c = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for l in 0..<k {
                let x = transposeA ? a[l * m + i] : a[i * k + l]
                let y = transposeB ? b[j * k + l] : b[l * n + j]
                sum += x * y
            }
            c[i * n + j] = sum
        }
    }
    return c
}
