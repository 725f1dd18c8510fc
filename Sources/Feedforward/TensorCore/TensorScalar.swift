import CFeedforwardKernels
import RealModule

/// The element type of a ``Tensor``: `Float` (the default for training) or `Double`
/// (for gradient checks and users who need the precision).
///
/// The requirements whose names start with an underscore are the element-wise, reduction and
/// matrix-multiply kernels, implemented once for both types and specialised for each, so generic
/// tensor code pays one dynamic call per operation, never one per element.
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

extension TensorScalar {
    // The kernels shared by both element types, written once over `Self`. Each is specialised for
    // `Float` and `Double`, so a call from generic code runs the concrete loop: one dynamic call per
    // operation, never one per element.

    /// Applies `operation` to `count` elements of `source`, writing to `destination`.
    @_specialize(where Self == Float)
    @_specialize(where Self == Double)
    public static func _applyUnary(
        _ operation: UnaryOperation, _ source: UnsafePointer<Self>,
        _ destination: UnsafeMutablePointer<Self>, count: Int, parameter: Self
    ) {
        if !vectorUnary(operation, source, destination, count, parameter) {
            unaryLoop(operation, source, destination, count, parameter)
        }
    }

    /// Applies `operation` to two broadcast operands described by `plan`.
    @_specialize(where Self == Float)
    @_specialize(where Self == Double)
    public static func _applyBinary(
        _ operation: BinaryOperation, _ lhs: UnsafePointer<Self>, _ rhs: UnsafePointer<Self>,
        _ destination: UnsafeMutablePointer<Self>, plan: BroadcastPlan
    ) {
        binaryLoop(operation, lhs, rhs, destination, plan)
    }

    /// Reduces the middle axis of a `[outer, length, inner]` view of `source` into `[outer, inner]`.
    @_specialize(where Self == Float)
    @_specialize(where Self == Double)
    public static func _reduce(
        _ operation: ReductionOperation, _ source: UnsafePointer<Self>,
        _ destination: UnsafeMutablePointer<Self>, outer: Int, length: Int, inner: Int
    ) {
        reductionLoop(operation, source, destination, outer, length, inner)
    }

    /// `destination[i] = condition[i] != 0 ? a[i] : b[i]` on same-shaped buffers.
    @_specialize(where Self == Float)
    @_specialize(where Self == Double)
    public static func _select(
        _ condition: UnsafePointer<Self>, _ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>,
        _ destination: UnsafeMutablePointer<Self>, count: Int
    ) {
        for i in 0..<count { destination[i] = condition[i] != 0 ? a[i] : b[i] }
    }

    /// One optimizer step on `count` parameters in place, with the optimizer's state buffers.
    @_specialize(where Self == Float)
    @_specialize(where Self == Double)
    public static func _optimizerStep(
        _ rule: OptimizerRule, parameter: UnsafeMutablePointer<Self>, gradient: UnsafePointer<Self>,
        firstMoment: UnsafeMutablePointer<Self>?, secondMoment: UnsafeMutablePointer<Self>?, count: Int
    ) {
        var step = rule.vectorKernelStep
        let count = Int64(count)
        // The buffers are of `Self`, which is the C type of the branch taken.
        switch dataType {
        case .float32:
            ff_optimizer_step_f32(
                &step, UnsafeMutablePointer(OpaquePointer(parameter)), UnsafePointer(OpaquePointer(gradient)),
                firstMoment.map { UnsafeMutablePointer(OpaquePointer($0)) },
                secondMoment.map { UnsafeMutablePointer(OpaquePointer($0)) }, count)
        case .float64:
            ff_optimizer_step_f64(
                &step, UnsafeMutablePointer(OpaquePointer(parameter)), UnsafePointer(OpaquePointer(gradient)),
                firstMoment.map { UnsafeMutablePointer(OpaquePointer($0)) },
                secondMoment.map { UnsafeMutablePointer(OpaquePointer($0)) }, count)
        }
    }

    /// `C = alpha * op(A) * op(B) + beta * C` on row-major buffers.
    @_specialize(where Self == Float)
    @_specialize(where Self == Double)
    public static func _matrixMultiply(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Self,
        _ a: UnsafePointer<Self>, lda: Int, _ b: UnsafePointer<Self>, ldb: Int,
        beta: Self, _ c: UnsafeMutablePointer<Self>, ldc: Int
    ) {
        _ = ComputeEnvironment.setUp  // the thread counts decide the kernel: set them before the first product
        let backend = ComputeEnvironment.matrixMultiplyBackend.cValue
        let (flagA, flagB): (Int32, Int32) = (transposeA ? 1 : 0, transposeB ? 1 : 0)
        let (m, n, k, lda, ldb, ldc) = (Int64(m), Int64(n), Int64(k), Int64(lda), Int64(ldb), Int64(ldc))
        // The buffers are of `Self`, which is the C type of the branch taken.
        switch dataType {
        case .float32:
            ff_sgemm(backend, flagA, flagB, m, n, k, Float(alpha), UnsafePointer(OpaquePointer(a)), lda,
                     UnsafePointer(OpaquePointer(b)), ldb, Float(beta), UnsafeMutablePointer(OpaquePointer(c)), ldc)
        case .float64:
            ff_dgemm(backend, flagA, flagB, m, n, k, Double(alpha), UnsafePointer(OpaquePointer(a)), lda,
                     UnsafePointer(OpaquePointer(b)), ldb, Double(beta), UnsafeMutablePointer(OpaquePointer(c)), ldc)
        }
    }
}

extension Float: TensorScalar {
    /// `F32`.
    public static var dataType: TensorDataType { .float32 }
}

extension Double: TensorScalar {
    /// `F64`.
    public static var dataType: TensorDataType { .float64 }
}
