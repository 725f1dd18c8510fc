import CFeedforwardKernels
import RealModule

// The element-wise operations that run on the C kernels of elementwise.c (compiled for AVX-512, AVX2 and
// the baseline, chosen with the GEMM's variant). Swift compiles for the baseline only, so its loops use
// 128-bit vectors on x86-64. The scalar loops of ElementwiseKernels.swift run what the C kernels do not,
// and are the reference the C kernels are tested against bit for bit (as is the optimizer formulas'
// Swift version in VectorKernelTests). The `T.self == Float.self` tests fold away when the generic
// callers are specialised.

extension UnaryOperation {
    /// The C kernel's code for this operation, or `nil` when only the Swift loop runs it.
    var vectorKernel: ff_unary_operation? {
        switch self {
        case .negate: return FF_UNARY_NEGATE
        case .square: return FF_UNARY_SQUARE
        case .abs: return FF_UNARY_ABS
        case .relu: return FF_UNARY_RELU
        case .step: return FF_UNARY_STEP
        case .scale: return FF_UNARY_SCALE
        case .shift: return FF_UNARY_SHIFT
        default: return nil
        }
    }
}

extension BinaryOperation {
    /// The C kernel's code for this operation, or `nil` when only the Swift loop runs it.
    var vectorKernel: ff_binary_operation? {
        switch self {
        case .add: return FF_BINARY_ADD
        case .subtract: return FF_BINARY_SUBTRACT
        case .multiply: return FF_BINARY_MULTIPLY
        case .divide: return FF_BINARY_DIVIDE
        case .passWherePositive: return FF_BINARY_PASS_WHERE_POSITIVE
        default: return nil
        }
    }
}

/// Runs `operation` over `n` elements on the C kernels; `false`, writing nothing, when they lack it.
@inline(__always)
func vectorUnary<T: TensorScalar>(
    _ operation: UnaryOperation, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ p: T
) -> Bool {
    guard let code = operation.vectorKernel else { return false }
    let op = Int32(code.rawValue)
    if T.self == Float.self {
        return ff_unary_f32(op, x.cast(), y.cast(), Int64(n), unsafeBitCast(p, to: Float.self)) != 0
    }
    if T.self == Double.self {
        return ff_unary_f64(op, x.cast(), y.cast(), Int64(n), unsafeBitCast(p, to: Double.self)) != 0
    }
    return false
}

/// Runs one broadcast row of `operation` (strides 0 or 1) on the C kernels; `false`, writing nothing,
/// when they lack the operation or the stride pair.
@inline(__always)
func vectorBinaryRow<T: TensorScalar>(
    _ operation: BinaryOperation, _ a: UnsafePointer<T>, _ sa: Int, _ b: UnsafePointer<T>, _ sb: Int,
    _ y: UnsafeMutablePointer<T>, _ n: Int
) -> Bool {
    guard let code = operation.vectorKernel else { return false }
    let op = Int32(code.rawValue)
    if T.self == Float.self {
        return ff_binary_row_f32(op, a.cast(), Int64(sa), b.cast(), Int64(sb), y.cast(), Int64(n)) != 0
    }
    if T.self == Double.self {
        return ff_binary_row_f64(op, a.cast(), Int64(sa), b.cast(), Int64(sb), y.cast(), Int64(n)) != 0
    }
    return false
}

/// Sums the `length` rows of `inner` elements at `x` into `y`, in row order, on the C kernels; `false`
/// for element types they lack.
@inline(__always)
func vectorSumRows<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, length: Int, inner: Int) -> Bool {
    if T.self == Float.self {
        ff_sum_rows_f32(x.cast(), y.cast(), Int64(length), Int64(inner))
        return true
    }
    if T.self == Double.self {
        ff_sum_rows_f64(x.cast(), y.cast(), Int64(length), Int64(inner))
        return true
    }
    return false
}

/// Rows `rows` of `width` bytes each at `x`, as floats scaled by `scale`, into consecutive rows of `y`
/// (a shuffled batch of pixels); every row index must be in range (the caller checks).
func gatherBytes(_ x: UnsafePointer<UInt8>, width: Int, rows: [Int], to y: UnsafeMutablePointer<Float>, scale: Float) {
    rows.withUnsafeBufferPointer { indices in
        indices.withMemoryRebound(to: Int64.self) { rows in
            ff_gather_bytes_to_floats(x, Int64(width), rows.baseAddress, Int64(rows.count), y, scale)
        }
    }
}

extension OptimizerRule {
    /// The rule and its hyperparameters as the C kernels take them.
    var vectorKernelStep: ff_optimizer_step {
        var step = ff_optimizer_step()
        switch self {
        case .sgd(let learningRate, let momentum, let nesterov, let weightDecay):
            step.kind = momentum == 0 ? FF_OPTIMIZER_SGD : (nesterov ? FF_OPTIMIZER_SGD_NESTEROV : FF_OPTIMIZER_SGD_MOMENTUM)
            step.learning_rate = learningRate
            step.momentum = momentum
            step.weight_decay = weightDecay
        case .rmsProp(let learningRate, let decay, let epsilon, let weightDecay):
            step.kind = FF_OPTIMIZER_RMSPROP
            step.learning_rate = learningRate
            step.decay = decay
            step.epsilon = epsilon
            step.weight_decay = weightDecay
        case .adam(let learningRate, let beta1, let beta2, let epsilon, let stepNumber, let weightDecay, let decoupled):
            step.kind = FF_OPTIMIZER_ADAM
            step.learning_rate = learningRate
            step.beta1 = beta1
            step.beta2 = beta2
            step.epsilon = epsilon
            step.correction1 = 1 - Double.pow(beta1, Double(stepNumber))
            step.correction2 = 1 - Double.pow(beta2, Double(stepNumber))
            step.weight_decay = weightDecay
            step.decoupled = decoupled ? 1 : 0
        }
        return step
    }
}

extension UnsafePointer {
    /// The same address as a pointer to `U` (the caller has checked that `Pointee` is `U`).
    @inline(__always)
    fileprivate func cast<U>() -> UnsafePointer<U> { UnsafeRawPointer(self).assumingMemoryBound(to: U.self) }
}

extension UnsafeMutablePointer {
    /// The same address as a pointer to `U` (the caller has checked that `Pointee` is `U`).
    @inline(__always)
    fileprivate func cast<U>() -> UnsafeMutablePointer<U> { UnsafeMutableRawPointer(self).assumingMemoryBound(to: U.self) }
}
