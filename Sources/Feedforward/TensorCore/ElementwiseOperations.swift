// Element-wise arithmetic and math with NumPy broadcasting, each with its derivative rule.

extension Tensor {
    /// Applies a unary kernel without recording.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func applying(_ operation: UnaryOperation, _ parameter: Scalar = 0) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        let count = scalarCount
        if let trace = KernelTrace.active {
            trace.append(reading: storage, writing: result.storage) { x, y in
                Tensor.runUnary(operation, parameter, x, y, count: count)
            }
        }
        Tensor.runUnary(operation, parameter, storage.base, result.storage.base, count: count)
        return result
    }

    /// The unary kernel over `count` elements, split across threads when large.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func runUnary(
        _ operation: UnaryOperation, _ parameter: Scalar, _ source: UnsafeMutablePointer<Scalar>,
        _ target: UnsafeMutablePointer<Scalar>, count: Int
    ) {
        // Transcendental functions pay for a second thread sooner than cheap arithmetic.
        let minimumPerThread: Int
        switch operation {
        case .negate, .square, .abs, .scale, .shift, .relu, .step, .sign: minimumPerThread = parallelMinimumPerThread
        default: minimumPerThread = parallelMinimumPerThread / 4
        }
        parallelChunks(count: count, minimumPerThread: minimumPerThread) { range in
            Scalar._applyUnary(
                operation, source + range.lowerBound, target + range.lowerBound, count: range.count, parameter: parameter)
        }
    }

    /// Applies a binary kernel with broadcasting, without recording.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    static func applying(_ operation: BinaryOperation, _ lhs: Tensor, _ rhs: Tensor, name: String) -> Tensor {
        let shape = lhs.shape == rhs.shape ? lhs.shape : Shape.broadcast(lhs.shape, rhs.shape, operation: name)
        let result = Tensor(uninitializedShape: shape)
        let layout = BinaryLayout(lhs: lhs, rhs: rhs, outputShape: shape, count: result.scalarCount)
        if let trace = KernelTrace.active {
            trace.append(reading: lhs.storage, rhs.storage, writing: result.storage) { a, b, y in
                layout.run(operation, a, b, y)
            }
        }
        layout.run(operation, lhs.storage.base, rhs.storage.base, result.storage.base)
        return result
    }

    /// A unary operation with a rule `(gradient, input, output) -> inputGradient`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func unary(
        _ name: String, _ operation: UnaryOperation, _ parameter: Scalar = 0, savesOutput: Bool = false,
        derivative: @escaping (_ gradient: Tensor, _ input: Tensor, _ output: Tensor) -> Tensor
    ) -> Tensor {
        let input = self
        // An element-wise derivative is linear in the gradient and diagonal, so it also maps tangents.
        return Tensor.record(
            name, output: applying(operation, parameter), inputs: [self], savesOutput: savesOutput,
            tangent: { tangents, output in tangents[0].map { derivative($0, input, output) } }
        ) { gradient, output, _ in [derivative(gradient, input, output)] }
    }
}

// MARK: Arithmetic

extension Tensor {
    /// The element-wise sum, broadcasting the operands.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        record(
            "add", output: applying(.add, lhs, rhs, name: "add"), inputs: [lhs, rhs],
            tangent: { t, y in tangentSum(t[0], t[1], shape: y.shape) }
        ) { g, _, needs in
            [needs[0] ? g : nil, needs[1] ? g : nil]
        }
    }

    /// The element-wise difference, broadcasting the operands.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        record(
            "subtract", output: applying(.subtract, lhs, rhs, name: "subtract"), inputs: [lhs, rhs],
            tangent: { t, y in tangentSum(t[0], t[1].map { -$0 }, shape: y.shape) }
        ) { g, _, needs in
            [needs[0] ? g : nil, needs[1] ? -g : nil]
        }
    }

    /// The element-wise product, broadcasting the operands.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        record(
            "multiply", output: applying(.multiply, lhs, rhs, name: "multiply"), inputs: [lhs, rhs],
            tangent: { t, y in tangentSum(t[0].map { $0 * rhs }, t[1].map { lhs * $0 }, shape: y.shape) }
        ) { g, _, needs in
            [needs[0] ? g * rhs : nil, needs[1] ? g * lhs : nil]
        }
    }

    /// The element-wise quotient, broadcasting the operands.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        record(
            "divide", output: applying(.divide, lhs, rhs, name: "divide"), inputs: [lhs, rhs],
            tangent: { t, y in tangentSum(t[0].map { $0 / rhs }, t[1].map { -$0 * lhs / (rhs * rhs) }, shape: y.shape) }
        ) { g, _, needs in
            [needs[0] ? g / rhs : nil, needs[1] ? -g * lhs / (rhs * rhs) : nil]
        }
    }

    /// The negation of every element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static prefix func - (x: Tensor) -> Tensor {
        x.unary("negate", .negate) { g, _, _ in -g }
    }

    /// `rhs` added to every element.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func + (lhs: Tensor, rhs: Scalar) -> Tensor {
        lhs.unary("add", .shift, rhs) { g, _, _ in g }
    }
    /// `lhs` added to every element.
    public static func + (lhs: Scalar, rhs: Tensor) -> Tensor { rhs + lhs }
    /// `rhs` subtracted from every element.
    public static func - (lhs: Tensor, rhs: Scalar) -> Tensor { lhs + (-rhs) }
    /// Every element subtracted from `lhs`.
    public static func - (lhs: Scalar, rhs: Tensor) -> Tensor { -rhs + lhs }
    /// Every element multiplied by `rhs`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func * (lhs: Tensor, rhs: Scalar) -> Tensor {
        lhs.unary("scale", .scale, rhs) { g, _, _ in g * rhs }
    }
    /// Every element multiplied by `lhs`.
    public static func * (lhs: Scalar, rhs: Tensor) -> Tensor { rhs * lhs }
    /// Every element divided by `rhs`.
    public static func / (lhs: Tensor, rhs: Scalar) -> Tensor { lhs * (1 / rhs) }
    /// `lhs` divided by every element.
    public static func / (lhs: Scalar, rhs: Tensor) -> Tensor { Tensor(lhs) / rhs }

    /// Replaces `lhs` with `lhs + rhs` (a new tensor, recorded for differentiation).
    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs = lhs + rhs }
    /// Replaces `lhs` with `lhs - rhs`.
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs - rhs }
    /// Replaces `lhs` with `lhs * rhs`.
    public static func *= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs * rhs }
    /// Replaces `lhs` with `lhs / rhs`.
    public static func /= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs / rhs }
    /// Replaces `lhs` with `lhs + rhs`.
    public static func += (lhs: inout Tensor, rhs: Scalar) { lhs = lhs + rhs }
    /// Replaces `lhs` with `lhs - rhs`.
    public static func -= (lhs: inout Tensor, rhs: Scalar) { lhs = lhs - rhs }
    /// Replaces `lhs` with `lhs * rhs`.
    public static func *= (lhs: inout Tensor, rhs: Scalar) { lhs = lhs * rhs }
    /// Replaces `lhs` with `lhs / rhs`.
    public static func /= (lhs: inout Tensor, rhs: Scalar) { lhs = lhs / rhs }
}

// MARK: Math

/// `e^x`
@_specialize(where S == Float)
@_specialize(where S == Double)
public func exp<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("exp", .exp, savesOutput: true) { g, _, y in g * y }
}

/// Natural logarithm.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func log<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("log", .log) { g, x, _ in g / x }
}

/// `log(1 + x)`, accurate for small `x`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func log1p<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("log1p", .log1p) { g, x, _ in g / (x + 1) }
}

/// `e^x - 1`, accurate for small `x`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func expm1<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("expm1", .expm1, savesOutput: true) { g, _, y in g * (y + 1) }
}

/// Square root.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func sqrt<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("sqrt", .sqrt, savesOutput: true) { g, _, y in g / (y * 2) }
}

/// `x * x`
@_specialize(where S == Float)
@_specialize(where S == Double)
public func square<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("square", .square) { g, x, _ in g * x * 2 }
}

/// `x^exponent` for a scalar exponent.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func pow<S>(_ x: Tensor<S>, _ exponent: S) -> Tensor<S> {
    x.unary("pow", .power, exponent) { g, x, _ in
        exponent == 0 ? g * 0 : g * pow(x, exponent - 1) * exponent
    }
}

/// `base^exponent` element-wise with broadcasting.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func pow<S>(_ base: Tensor<S>, _ exponent: Tensor<S>) -> Tensor<S> {
    Tensor.record(
        "pow", output: Tensor.applying(.power, base, exponent, name: "pow"), inputs: [base, exponent],
        savesOutput: true,
        tangent: { t, y in
            tangentSum(
                t[0].map { $0 * exponent * pow(base, exponent - 1) },
                t[1].map { $0 * y * log(`where`(base.detached().elementsEqual(Tensor(0)), Tensor(1), base)) },
                shape: y.shape)
        }
    ) { g, y, needs in
        [
            needs[0] ? g * exponent * pow(base, exponent - 1) : nil,
            // d/dy x^y = x^y log x, taken as 0 at x = 0 (where 0^y is constant for y > 0).
            needs[1] ? g * y * log(`where`(base.detached().elementsEqual(Tensor(0)), Tensor(1), base)) : nil,
        ]
    }
}

/// Absolute value; its derivative at 0 is taken as 0.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func abs<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("abs", .abs) { g, x, _ in g * sign(x) }
}

/// -1, 0 or 1 by the sign of each element (NaN stays NaN). Its derivative is zero.
public func sign<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.detached().applying(.sign)
}

/// Sine.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func sin<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("sin", .sin) { g, x, _ in g * cos(x) }
}

/// Cosine.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func cos<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("cos", .cos) { g, x, _ in -g * sin(x) }
}

/// Arctangent.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func atan<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("atan", .atan) { g, x, _ in g / (square(x) + 1) }
}

/// Hyperbolic tangent.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func tanh<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("tanh", .tanh, savesOutput: true) { g, _, y in g * (1 - square(y)) }
}

/// The logistic sigmoid `1 / (1 + e^-x)`, computed without overflow for large `|x|`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func sigmoid<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("sigmoid", .sigmoid, savesOutput: true) { g, _, y in g * y * (1 - y) }
}

/// `log(1 + e^x)`, computed as `max(x, 0) + log1p(e^-|x|)` so it is finite and accurate for any `x`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func softplus<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("softplus", .softplus) { g, x, _ in g * sigmoid(x) }
}

/// `max(x, 0)`; its derivative at 0 is taken as 0.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func relu<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.unary("relu", .relu, savesOutput: true) { g, _, y in g.passingWherePositive(y) }
}

extension Tensor {
    /// This gradient where `mask > 0`, else 0, in one pass: ReLU's derivative rule, and its tangent
    /// rule, with the unit's outputs as `mask`. Linear in `self`; `mask` is a constant (the step
    /// function's derivative is zero), so the rule is its own derivative and tangent.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func passingWherePositive(_ mask: Tensor) -> Tensor {
        let constantMask = mask.detached()
        return Tensor.record(
            "relu_derivative", output: Tensor.applying(.passWherePositive, self, constantMask, name: "relu_derivative"),
            inputs: [self], tangent: { t, _ in t[0].map { $0.passingWherePositive(constantMask) } }
        ) { g, _, _ in [g.passingWherePositive(constantMask)] }
    }
}

/// The binary step: 1 where `x > 0`, else 0. Its derivative is zero (undefined at 0).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func step<S>(_ x: Tensor<S>) -> Tensor<S> {
    x.detached().applying(.step)
}

// MARK: Comparisons, selection, extrema

extension Tensor {
    /// A comparison: 1 where it holds, 0 elsewhere; not differentiable (its gradient is zero).
    static func compare(_ operation: BinaryOperation, _ lhs: Tensor, _ rhs: Tensor) -> Tensor {
        applying(operation, lhs, rhs, name: "comparison")
    }

    /// 1 where `self == other`, else 0.
    public func elementsEqual(_ other: Tensor) -> Tensor { Tensor.compare(.equal, self, other) }
    /// 1 where `self != other`, else 0.
    public func elementsNotEqual(_ other: Tensor) -> Tensor { Tensor.compare(.notEqual, self, other) }

    /// 1 where `lhs < rhs`, else 0 (broadcast; not differentiable).
    public static func .< (lhs: Tensor, rhs: Tensor) -> Tensor { compare(.less, lhs, rhs) }
    /// 1 where `lhs <= rhs`, else 0.
    public static func .<= (lhs: Tensor, rhs: Tensor) -> Tensor { compare(.lessOrEqual, lhs, rhs) }
    /// 1 where `lhs > rhs`, else 0.
    public static func .> (lhs: Tensor, rhs: Tensor) -> Tensor { compare(.greater, lhs, rhs) }
    /// 1 where `lhs >= rhs`, else 0.
    public static func .>= (lhs: Tensor, rhs: Tensor) -> Tensor { compare(.greaterOrEqual, lhs, rhs) }
    /// 1 where an element is below `rhs`, else 0.
    public static func .< (lhs: Tensor, rhs: Scalar) -> Tensor { compare(.less, lhs, Tensor(rhs)) }
    /// 1 where an element is at most `rhs`, else 0.
    public static func .<= (lhs: Tensor, rhs: Scalar) -> Tensor { compare(.lessOrEqual, lhs, Tensor(rhs)) }
    /// 1 where an element is above `rhs`, else 0.
    public static func .> (lhs: Tensor, rhs: Scalar) -> Tensor { compare(.greater, lhs, Tensor(rhs)) }
    /// 1 where an element is at least `rhs`, else 0.
    public static func .>= (lhs: Tensor, rhs: Scalar) -> Tensor { compare(.greaterOrEqual, lhs, Tensor(rhs)) }
}

/// Elements of `a` where `condition` is non-zero, else of `b`, with broadcasting of all three.
/// Differentiable in `a` and `b`; the condition is a constant.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func `where`<S>(_ condition: Tensor<S>, _ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    let shape = Shape.broadcast(
        Shape.broadcast(condition.shape, a.shape, operation: "where"), b.shape, operation: "where")
    let c = condition.detached().broadcasted(to: shape)
    let x = a.detached().broadcasted(to: shape)
    let y = b.detached().broadcasted(to: shape)
    let result = Tensor<S>(uninitializedShape: shape)
    let count = result.scalarCount
    if let trace = KernelTrace.active {
        trace.append(reading: c.storage, x.storage, y.storage, writing: result.storage) { c, x, y, r in
            S._select(c, x, y, r, count: count)
        }
    }
    S._select(c.storage.base, x.storage.base, y.storage.base, result.storage.base, count: count)
    let tangent = { (t: [Tensor<S>?], y: Tensor<S>) -> Tensor<S>? in
        `where`(c, t[0] ?? Tensor(0), t[1] ?? Tensor(0)).broadcastedTangent(to: y.shape)
    }
    return Tensor.record("where", output: result, inputs: [a, b], tangent: tangent) { g, _, needs in
        let zero = Tensor<S>(0)
        return [needs[0] ? `where`(c, g, zero) : nil, needs[1] ? `where`(c, zero, g) : nil]
    }
}

/// Element-wise maximum with broadcasting (NaN propagates). At ties the gradient goes to `a`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func maximum<S>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    Tensor.record(
        "maximum", output: Tensor.applying(.maximum, a, b, name: "maximum"), inputs: [a, b],
        tangent: { t, y in
            let mask = a.detached() .>= b.detached()
            return tangentSum(t[0].map { $0 * mask }, t[1].map { $0 * (1 - mask) }, shape: y.shape)
        }
    ) { g, _, needs in
        let mask = a.detached() .>= b.detached()
        return [needs[0] ? g * mask : nil, needs[1] ? g * (1 - mask) : nil]
    }
}

/// Element-wise minimum with broadcasting (NaN propagates). At ties the gradient goes to `a`.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func minimum<S>(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
    Tensor.record(
        "minimum", output: Tensor.applying(.minimum, a, b, name: "minimum"), inputs: [a, b],
        tangent: { t, y in
            let mask = a.detached() .<= b.detached()
            return tangentSum(t[0].map { $0 * mask }, t[1].map { $0 * (1 - mask) }, shape: y.shape)
        }
    ) { g, _, needs in
        let mask = a.detached() .<= b.detached()
        return [needs[0] ? g * mask : nil, needs[1] ? g * (1 - mask) : nil]
    }
}

/// Each element limited to `lower...upper`; the gradient passes where `lower <= x <= upper`.
public func clamp<S>(_ x: Tensor<S>, min lower: S, max upper: S) -> Tensor<S> {
    precondition(lower <= upper, "clamp: lower bound \(lower) exceeds upper bound \(upper)")
    return minimum(maximum(x, Tensor(lower)), Tensor(upper))
}

/// How a binary kernel walks its operands, decided once from their shapes.
struct BinaryLayout<Scalar: TensorScalar> {
    enum Walk {
        /// One flat run: equal shapes, or a single-element operand (stride 0).
        case flat(strideA: Int, strideB: Int)
        /// A row of the right operand repeated down the left one (a bias).
        case rightRepeated(row: Int)
        /// A row of the left operand repeated down the right one.
        case leftRepeated(row: Int)
        case general(BroadcastPlan)
    }

    let walk: Walk
    let count: Int

    @inline(__always)
    init(lhs: Tensor<Scalar>, rhs: Tensor<Scalar>, outputShape: [Int], count: Int) {
        self.count = count
        if lhs.scalarCount == count && rhs.scalarCount == count || lhs.scalarCount == 1 || rhs.scalarCount == 1 {
            walk = .flat(strideA: lhs.scalarCount == count ? 1 : 0, strideB: rhs.scalarCount == count ? 1 : 0)
        } else if lhs.scalarCount == count && rhs.rank < lhs.rank && lhs.shape.suffix(rhs.rank).elementsEqual(rhs.shape) {
            walk = .rightRepeated(row: rhs.scalarCount)
        } else if rhs.scalarCount == count && lhs.rank < rhs.rank && rhs.shape.suffix(lhs.rank).elementsEqual(lhs.shape) {
            walk = .leftRepeated(row: lhs.scalarCount)
        } else {
            walk = .general(BroadcastPlan(lhsShape: lhs.shape, rhsShape: rhs.shape, outputShape: outputShape))
        }
    }

    @inline(__always)
    func run(
        _ operation: BinaryOperation, _ a: UnsafeMutablePointer<Scalar>, _ b: UnsafeMutablePointer<Scalar>,
        _ y: UnsafeMutablePointer<Scalar>
    ) {
        switch walk {
        case .flat(let strideA, let strideB):
            // Large runs split across threads.
            parallelChunks(count: count) { range in
                binaryRow(
                    operation, a + range.lowerBound * strideA, strideA, b + range.lowerBound * strideB, strideB,
                    y + range.lowerBound, range.count)
            }
        case .rightRepeated(let row):
            for start in stride(from: 0, to: count, by: row) {
                binaryRow(operation, a + start, 1, b, 1, y + start, row)
            }
        case .leftRepeated(let row):
            for start in stride(from: 0, to: count, by: row) {
                binaryRow(operation, a, 1, b + start, 1, y + start, row)
            }
        case .general(let plan):
            Scalar._applyBinary(operation, a, b, y, plan: plan)
        }
    }
}
