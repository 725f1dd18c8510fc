import RealModule

/// Element-wise operations of one operand. `parameter` is used by the operations that take one.
public enum UnaryOperation: Sendable {
    /// `-x`, `eˣ`, `ln x`, `ln(1+x)`, `eˣ-1`, `√x`, `x²`, `1/x`, `|x|` and the sign of `x` (-1, 0 or 1).
    case negate, exp, log, log1p, expm1, sqrt, square, reciprocal, abs, sign
    /// `sin x`, `cos x`, `atan x`, `tanh x`, `σ(x)`, `ln(1+eˣ)`, `max(0, x)` and the unit step (1 for `x > 0`).
    case sin, cos, atan, tanh, sigmoid, softplus, relu, step
    /// `x^parameter`
    case power
    /// `x * parameter`
    case scale
    /// `x + parameter`
    case shift
}

/// Element-wise operations of two broadcast operands. Comparisons give 1 for true and 0 for false.
public enum BinaryOperation: Sendable {
    /// `a + b`, `a - b`, `a · b`, `a / b`, `aᵇ`, `max(a, b)` and `min(a, b)`.
    case add, subtract, multiply, divide, power, maximum, minimum
    /// The comparisons `a == b`, `a != b`, `a < b`, `a <= b`, `a > b` and `a >= b` (1 or 0).
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual
    /// `b > 0 ? a : 0` (NaN where `b` is NaN): a gradient `a` passed through ReLU units with outputs `b`.
    case passWherePositive
}

/// Reductions of one axis.
public enum ReductionOperation: Sendable {
    /// The sum, the largest and the smallest element along the axis.
    case sum, maximum, minimum
}

/// How two operands are walked to produce a broadcast result: the output's dimensions after merging
/// adjacent axes that broadcast alike, and each operand's strides (0 along broadcast axes).
public struct BroadcastPlan: Sendable {
    /// Merged output dimensions (at least one).
    public var dimensions: [Int]
    /// The left operand's stride along each merged dimension (0 where it broadcasts).
    public var lhsStrides: [Int]
    /// The right operand's stride along each merged dimension (0 where it broadcasts).
    public var rhsStrides: [Int]
    /// The number of output elements.
    public var count: Int

    /// Plans `lhsShape ⊕ rhsShape` into `outputShape`; both shapes must broadcast to it.
    init(lhsShape: [Int], rhsShape: [Int], outputShape: [Int]) {
        let rank = outputShape.count
        func strides(of shape: [Int]) -> [Int] {
            var result = [Int](repeating: 0, count: rank)
            var running = 1
            for axis in stride(from: shape.count - 1, through: 0, by: -1) {
                let outputAxis = axis + rank - shape.count
                result[outputAxis] = shape[axis] == 1 ? 0 : running
                running *= shape[axis]
            }
            return result
        }
        let lhs = strides(of: lhsShape)
        let rhs = strides(of: rhsShape)
        var dims: [Int] = []
        var ls: [Int] = []
        var rs: [Int] = []
        for axis in 0..<rank where outputShape[axis] != 1 {
            if let last = dims.indices.last,
                ls[last] == lhs[axis] * outputShape[axis], rs[last] == rhs[axis] * outputShape[axis]
            {
                dims[last] *= outputShape[axis]
                ls[last] = lhs[axis]
                rs[last] = rhs[axis]
            } else {
                dims.append(outputShape[axis])
                ls.append(lhs[axis])
                rs.append(rhs[axis])
            }
        }
        if dims.isEmpty || outputShape.contains(0) {
            dims = [outputShape.reduce(1, *)]
            ls = [lhsShape.reduce(1, *) == 1 ? 0 : 1]
            rs = [rhsShape.reduce(1, *) == 1 ? 0 : 1]
        }
        dimensions = dims
        lhsStrides = ls
        rhsStrides = rs
        count = outputShape.reduce(1, *)
    }
}

@inline(__always)
func stableSigmoid<T: Real>(_ x: T) -> T {
    if x >= 0 {
        return 1 / (1 + T.exp(-x))
    }
    let e = T.exp(x)
    return e / (1 + e)
}

@inline(__always)
func stableSoftplus<T: Real>(_ x: T) -> T {
    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
    (x > 0 ? x : 0) + T.log(onePlus: T.exp(-Swift.abs(x)))
}

func unaryLoop<T: TensorScalar>(
    _ operation: UnaryOperation, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ p: T
) {
    switch operation {
    case .negate: for i in 0..<n { y[i] = -x[i] }
    case .exp: for i in 0..<n { y[i] = T.exp(x[i]) }
    case .log: for i in 0..<n { y[i] = T.log(x[i]) }
    case .log1p: for i in 0..<n { y[i] = T.log(onePlus: x[i]) }
    case .expm1: for i in 0..<n { y[i] = T.expMinusOne(x[i]) }
    case .sqrt: for i in 0..<n { y[i] = x[i].squareRoot() }
    case .square: for i in 0..<n { y[i] = x[i] * x[i] }
    case .reciprocal: for i in 0..<n { y[i] = 1 / x[i] }
    case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
    case .sign: for i in 0..<n { y[i] = x[i] > 0 ? 1 : (x[i] < 0 ? -1 : (x[i].isNaN ? x[i] : 0)) }
    case .sin: for i in 0..<n { y[i] = T.sin(x[i]) }
    case .cos: for i in 0..<n { y[i] = T.cos(x[i]) }
    case .atan: for i in 0..<n { y[i] = T.atan(x[i]) }
    case .tanh: for i in 0..<n { y[i] = T.tanh(x[i]) }
    case .sigmoid: for i in 0..<n { y[i] = stableSigmoid(x[i]) }
    case .softplus: for i in 0..<n { y[i] = stableSoftplus(x[i]) }
    // Written as selects (NaN fails both comparisons and passes through), so they vectorise.
    case .relu: for i in 0..<n { y[i] = x[i] <= 0 ? 0 : x[i] }
    case .step: for i in 0..<n { y[i] = x[i] > 0 ? 1 : (x[i] <= 0 ? 0 : x[i]) }
    case .power:
        if p == 2 {
            for i in 0..<n { y[i] = x[i] * x[i] }
        } else if let integer = Int(exactly: p) {
            // The integral form is defined for negative bases (pow(-2, 3) = -8) and gives pow(x, 0) = 1.
            for i in 0..<n { y[i] = T.pow(x[i], integer) }
        } else {
            for i in 0..<n { y[i] = T.pow(x[i], p) }
        }
    case .scale: for i in 0..<n { y[i] = x[i] * p }
    case .shift: for i in 0..<n { y[i] = x[i] + p }
    }
}

@inline(__always)
func binaryElement<T: TensorScalar>(_ operation: BinaryOperation, _ a: T, _ b: T) -> T {
    switch operation {
    case .add: return a + b
    case .subtract: return a - b
    case .multiply: return a * b
    case .divide: return a / b
    case .power:
        if b == 2 { return a * a }
        if let integer = Int(exactly: b) { return T.pow(a, integer) }
        return T.pow(a, b)
    case .maximum: return a.isNaN || b.isNaN ? T.nan : Swift.max(a, b)
    case .minimum: return a.isNaN || b.isNaN ? T.nan : Swift.min(a, b)
    case .equal: return a == b ? 1 : 0
    case .notEqual: return a != b ? 1 : 0
    case .less: return a < b ? 1 : 0
    case .lessOrEqual: return a <= b ? 1 : 0
    case .greater: return a > b ? 1 : 0
    case .greaterOrEqual: return a >= b ? 1 : 0
    case .passWherePositive: return b > 0 ? a : (b <= 0 ? 0 : b)
    }
}

/// Runs `operation` over `n` elements with operand strides `sa`, `sb` (each 0 or 1 on the fast paths).
@inline(__always)
func binaryRow<T: TensorScalar>(
    _ operation: BinaryOperation, _ a: UnsafePointer<T>, _ sa: Int, _ b: UnsafePointer<T>, _ sb: Int,
    _ y: UnsafeMutablePointer<T>, _ n: Int
) {
    // The common arithmetic cases get loops the compiler can vectorise.
    switch (operation, sa, sb) {
    case (.add, 1, 1): for i in 0..<n { y[i] = a[i] + b[i] }
    case (.add, 1, 0): let s = b[0]; for i in 0..<n { y[i] = a[i] + s }
    case (.add, 0, 1): let s = a[0]; for i in 0..<n { y[i] = s + b[i] }
    case (.subtract, 1, 1): for i in 0..<n { y[i] = a[i] - b[i] }
    case (.subtract, 1, 0): let s = b[0]; for i in 0..<n { y[i] = a[i] - s }
    case (.subtract, 0, 1): let s = a[0]; for i in 0..<n { y[i] = s - b[i] }
    case (.multiply, 1, 1): for i in 0..<n { y[i] = a[i] * b[i] }
    case (.multiply, 1, 0): let s = b[0]; for i in 0..<n { y[i] = a[i] * s }
    case (.multiply, 0, 1): let s = a[0]; for i in 0..<n { y[i] = s * b[i] }
    case (.divide, 1, 1): for i in 0..<n { y[i] = a[i] / b[i] }
    case (.divide, 1, 0): let s = b[0]; for i in 0..<n { y[i] = a[i] / s }
    case (.passWherePositive, 1, 1):
        // Both operands are read unconditionally, so the selects need no branch and vectorise.
        for i in 0..<n {
            let gradient = a[i], mask = b[i]
            y[i] = mask > 0 ? gradient : (mask <= 0 ? 0 : mask)
        }
    default:
        for i in 0..<n { y[i] = binaryElement(operation, a[i &* sa], b[i &* sb]) }
    }
}

func binaryLoop<T: TensorScalar>(
    _ operation: BinaryOperation, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>,
    _ y: UnsafeMutablePointer<T>, _ plan: BroadcastPlan
) {
    let rank = plan.dimensions.count
    let inner = plan.dimensions[rank - 1]
    let sa = plan.lhsStrides[rank - 1]
    let sb = plan.rhsStrides[rank - 1]
    if plan.count == 0 { return }
    if rank == 1 {
        if !vectorBinaryRow(operation, a, sa, b, sb, y, inner) { binaryRow(operation, a, sa, b, sb, y, inner) }
        return
    }
    // Odometer over the outer axes; the innermost axis runs as one row.
    var index = [Int](repeating: 0, count: rank - 1)
    var offsetA = 0
    var offsetB = 0
    var offsetY = 0
    let rows = plan.count / inner
    for _ in 0..<rows {
        if !vectorBinaryRow(operation, a + offsetA, sa, b + offsetB, sb, y + offsetY, inner) {
            binaryRow(operation, a + offsetA, sa, b + offsetB, sb, y + offsetY, inner)
        }
        offsetY += inner
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            offsetA += plan.lhsStrides[axis]
            offsetB += plan.rhsStrides[axis]
            if index[axis] < plan.dimensions[axis] { break }
            offsetA -= plan.lhsStrides[axis] * plan.dimensions[axis]
            offsetB -= plan.rhsStrides[axis] * plan.dimensions[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}

func reductionLoop<T: TensorScalar>(
    _ operation: ReductionOperation, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
    _ outer: Int, _ length: Int, _ inner: Int
) {
    for o in 0..<outer {
        let source = x + o * length * inner
        let target = y + o * inner
        if inner == 1 {
            switch operation {
            case .sum:
                // Four accumulators: faster, and more accurate than one running sum.
                var s0: T = 0, s1: T = 0, s2: T = 0, s3: T = 0
                var j = 0
                while j + 4 <= length {
                    s0 += source[j]; s1 += source[j + 1]; s2 += source[j + 2]; s3 += source[j + 3]
                    j += 4
                }
                while j < length { s0 += source[j]; j += 1 }
                target[0] = (s0 + s1) + (s2 + s3)
            case .maximum:
                var m = -T.infinity
                for j in 0..<length {
                    let v = source[j]
                    if v > m || v.isNaN { m = v; if v.isNaN { break } }
                }
                target[0] = m
            case .minimum:
                var m = T.infinity
                for j in 0..<length {
                    let v = source[j]
                    if v < m || v.isNaN { m = v; if v.isNaN { break } }
                }
                target[0] = m
            }
            continue
        }
        switch operation {
        case .sum:
            if vectorSumRows(source, target, length: length, inner: inner) { continue }
            for i in 0..<inner { target[i] = 0 }
            for j in 0..<length {
                let row = source + j * inner
                for i in 0..<inner { target[i] += row[i] }
            }
        case .maximum:
            for i in 0..<inner { target[i] = -T.infinity }
            for j in 0..<length {
                let row = source + j * inner
                for i in 0..<inner where row[i] > target[i] || row[i].isNaN && !target[i].isNaN {
                    target[i] = row[i]
                }
            }
        case .minimum:
            for i in 0..<inner { target[i] = T.infinity }
            for j in 0..<length {
                let row = source + j * inner
                for i in 0..<inner where row[i] < target[i] || row[i].isNaN && !target[i].isNaN {
                    target[i] = row[i]
                }
            }
        }
    }
}
