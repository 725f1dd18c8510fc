import CFeedforwardKernels
import RealModule

/// The element type of a ``Tensor``: `Float` (the default for training) or `Double`
/// (for gradient checks and users who need the precision).
///
/// The requirements whose names start with an underscore are the element-wise, reduction and
/// matrix-multiply kernels. Each conforming type implements them with concrete (specialised)
/// loops, so generic tensor code pays one dynamic call per operation, never one per element.
public protocol TensorScalar: BinaryFloatingPoint, Real, Sendable, CustomStringConvertible
where RawSignificand: FixedWidthInteger {
    /// The name of the type in serialized files (`F32`, `F64`).
    static var dataType: TensorDataType { get }

    /// Applies `operation` to `count` elements of `source`, writing to `destination`.
    static func _applyUnary(
        _ operation: UnaryOperation, _ source: UnsafePointer<Self>,
        _ destination: UnsafeMutablePointer<Self>, count: Int, parameter: Self)

    /// Applies `operation` to two broadcast operands described by `plan`.
    static func _applyBinary(
        _ operation: BinaryOperation, _ lhs: UnsafePointer<Self>, _ rhs: UnsafePointer<Self>,
        _ destination: UnsafeMutablePointer<Self>, plan: BroadcastPlan)

    /// Reduces the middle axis of a `[outer, length, inner]` view of `source` into `[outer, inner]`.
    static func _reduce(
        _ operation: ReductionOperation, _ source: UnsafePointer<Self>,
        _ destination: UnsafeMutablePointer<Self>, outer: Int, length: Int, inner: Int)

    /// `destination[i] = condition[i] != 0 ? a[i] : b[i]` on same-shaped buffers.
    static func _select(
        _ condition: UnsafePointer<Self>, _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>,
        _ destination: UnsafeMutablePointer<Self>, count: Int)

    /// One optimizer step on `count` parameters in place, with the optimizer's state buffers.
    static func _optimizerStep(
        _ rule: OptimizerRule, parameter: UnsafeMutablePointer<Self>, gradient: UnsafePointer<Self>,
        firstMoment: UnsafeMutablePointer<Self>?, secondMoment: UnsafeMutablePointer<Self>?, count: Int)

    /// `C = alpha * op(A) * op(B) + beta * C` on row-major buffers.
    static func _matrixMultiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        _ a: UnsafePointer<Self>, lda: Int, _ b: UnsafePointer<Self>, ldb: Int,
        beta: Self, _ c: UnsafeMutablePointer<Self>, ldc: Int)
}

/// The element types that serialized tensors use.
public enum TensorDataType: String, Sendable, CaseIterable {
    /// 32-bit IEEE 754 floating point (`Float`).
    case float32 = "F32"
    /// 64-bit IEEE 754 floating point (`Double`).
    case float64 = "F64"

    /// Bytes per element.
    public var byteCount: Int { self == .float32 ? 4 : 8 }
}

extension Float: TensorScalar {
    public static var dataType: TensorDataType { .float32 }

    public static func _applyUnary(
        _ operation: UnaryOperation, _ source: UnsafePointer<Float>,
        _ destination: UnsafeMutablePointer<Float>, count: Int, parameter: Float
    ) {
        if !vectorUnary(operation, source, destination, count, parameter) {
            unaryLoop(operation, source, destination, count, parameter)
        }
    }

    public static func _applyBinary(
        _ operation: BinaryOperation, _ lhs: UnsafePointer<Float>, _ rhs: UnsafePointer<Float>,
        _ destination: UnsafeMutablePointer<Float>, plan: BroadcastPlan
    ) {
        binaryLoop(operation, lhs, rhs, destination, plan)
    }

    public static func _reduce(
        _ operation: ReductionOperation, _ source: UnsafePointer<Float>,
        _ destination: UnsafeMutablePointer<Float>, outer: Int, length: Int, inner: Int
    ) {
        reductionLoop(operation, source, destination, outer, length, inner)
    }

    public static func _select(
        _ condition: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        _ destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        for i in 0..<count { destination[i] = condition[i] != 0 ? a[i] : b[i] }
    }

    public static func _optimizerStep(
        _ rule: OptimizerRule, parameter: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
        firstMoment: UnsafeMutablePointer<Float>?, secondMoment: UnsafeMutablePointer<Float>?, count: Int
    ) {
        var step = rule.vectorKernelStep
        ff_optimizer_step_f32(&step, parameter, gradient, firstMoment, secondMoment, Int64(count))
    }

    public static func _matrixMultiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
        beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = ComputeEnvironment.setUp  // the thread counts decide the kernel: set them before the first product
        ff_sgemm(
            ComputeEnvironment.matrixMultiplyBackend.cValue, transposeA ? 1 : 0, transposeB ? 1 : 0,
            Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
    }
}

extension Double: TensorScalar {
    public static var dataType: TensorDataType { .float64 }

    public static func _applyUnary(
        _ operation: UnaryOperation, _ source: UnsafePointer<Double>,
        _ destination: UnsafeMutablePointer<Double>, count: Int, parameter: Double
    ) {
        if !vectorUnary(operation, source, destination, count, parameter) {
            unaryLoop(operation, source, destination, count, parameter)
        }
    }

    public static func _applyBinary(
        _ operation: BinaryOperation, _ lhs: UnsafePointer<Double>, _ rhs: UnsafePointer<Double>,
        _ destination: UnsafeMutablePointer<Double>, plan: BroadcastPlan
    ) {
        binaryLoop(operation, lhs, rhs, destination, plan)
    }

    public static func _reduce(
        _ operation: ReductionOperation, _ source: UnsafePointer<Double>,
        _ destination: UnsafeMutablePointer<Double>, outer: Int, length: Int, inner: Int
    ) {
        reductionLoop(operation, source, destination, outer, length, inner)
    }

    public static func _select(
        _ condition: UnsafePointer<Double>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
        _ destination: UnsafeMutablePointer<Double>, count: Int
    ) {
        for i in 0..<count { destination[i] = condition[i] != 0 ? a[i] : b[i] }
    }

    public static func _optimizerStep(
        _ rule: OptimizerRule, parameter: UnsafeMutablePointer<Double>, gradient: UnsafePointer<Double>,
        firstMoment: UnsafeMutablePointer<Double>?, secondMoment: UnsafeMutablePointer<Double>?, count: Int
    ) {
        var step = rule.vectorKernelStep
        ff_optimizer_step_f64(&step, parameter, gradient, firstMoment, secondMoment, Int64(count))
    }

    public static func _matrixMultiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double,
        _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>, ldb: Int,
        beta: Double, _ c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        _ = ComputeEnvironment.setUp  // the thread counts decide the kernel: set them before the first product
        ff_dgemm(
            ComputeEnvironment.matrixMultiplyBackend.cValue, transposeA ? 1 : 0, transposeB ? 1 : 0,
            Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
    }
}
