// The primitives: every operation that runs a kernel on tensors, each declared once with its name,
// its kernel, its derivative with respect to each input and its tangent rule, and run through one
// dispatch, `Primitive.bind` (JAX's `bind`). Where to find them:
//
//   Primitives/Primitive.swift       this file: what a primitive declares, and the one rule signature
//   Primitives/Dispatch.swift        `Primitive.bind` and `Kernel.launch`, the only path to a kernel
//   Primitives/ElementwiseLayout.swift  how element-wise kernels walk their buffers
//   Primitives/Arithmetic.swift      + - * / negate, scalar shift and scale, pow, maximum, minimum
//   Primitives/Math.swift            exp log log1p expm1 sqrt square abs sin cos atan tanh sigmoid
//                                    softplus relu (and its derivative), sign, step
//   Primitives/Selection.swift       comparisons and `where`
//   Primitives/Reductions.swift      sum, mean, max, min, the shift of logSumExp
//   Primitives/LineMaps.swift        softmax, logSoftmax, the softmax cross-entropy of integer labels
//   Primitives/ShapePrimitives.swift reshape, permute, broadcast, concatenate, slice, pad, gather,
//                                    scatter, the identity of a tracked input
//   Primitives/MatrixProducts.swift  matmul and the fused sum of products with a bias
//
// Everything else (clamp, logSumExp, the activations, the losses, the layers) is written in these.

/// A primitive's rule, the one signature for derivatives and tangents: a linear map applied to a
/// vector `v`, reading the primitive's saved `values`, for the input at index `input`.
///
/// As a derivative, `v` is the gradient of the output and the rule returns the gradient of input
/// `input` (vᵀ ∂y/∂xᵢ; an operand's broadcast is summed away by back-propagation, centrally). As a
/// tangent, `v` is the tangent of input `input` and the rule returns its part of the output's tangent
/// (∂y/∂xᵢ · v; the dispatch adds the parts and broadcasts them to the output's shape). Rules are
/// written in differentiable tensor operations, so derivatives of derivatives come for free.
typealias PrimitiveRule<Scalar: TensorScalar> =
    (_ v: Tensor<Scalar>, _ values: PrimitiveValues<Scalar>, _ input: Int) -> Tensor<Scalar>

/// What a primitive's rules read: its inputs and its output, where the primitive saves them.
struct PrimitiveValues<Scalar: TensorScalar> {
    /// The inputs, as recorded (with their graph edges); empty unless the primitive saves them.
    let inputs: [Tensor<Scalar>]
    /// The output, as recorded; an empty tensor unless the primitive saves it.
    let output: Tensor<Scalar>
}

/// One operation on tensors: its name, how its output is computed, and how it is differentiated.
///
/// A primitive is declared where its public function is, and applied with ``bind(_:)``:
/// ```swift
/// public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
///     Primitive<Scalar>(
///         "multiply", .binary(.multiply), saving: .inputs,
///         derivative: { g, saved, input in g * saved.inputs[1 - input] }, tangent: .sameAsDerivative
///     ).bind([lhs, rhs])
/// }
/// ```
struct Primitive<Scalar: TensorScalar> {
    /// How the output is computed from the operands (the inputs, in order).
    enum Computation {
        /// A unary element-wise kernel of the first operand, with its scalar parameter.
        case unary(UnaryOperation, Scalar = 0)
        /// A binary element-wise kernel of the first two operands, broadcasting them (NumPy rules).
        case binary(BinaryOperation)
        /// A kernel that fills a new buffer of `shape` from the operands' buffers.
        case kernel(shape: [Int], (KernelArguments<Scalar>) -> Void)
        /// The first operand's buffer seen with another shape: no kernel runs (reshape, identity).
        case view(shape: [Int])
    }

    /// How the tangent of the output follows from the tangents of the inputs.
    enum Tangent {
        /// The derivative rule maps tangents as well: true of element-wise operations, whose
        /// Jacobian with respect to each input is diagonal (so equal to its transpose), and of any
        /// other primitive whose Jacobian is symmetric (softmax).
        case sameAsDerivative
        /// A rule of its own (∂y/∂xᵢ · ẋᵢ for input i).
        case rule(PrimitiveRule<Scalar>)
    }

    /// Which values the rules read, kept in the graph until back-propagation has run.
    struct Saved: OptionSet {
        let rawValue: UInt8
        /// The inputs.
        static var inputs: Saved { Saved(rawValue: 1) }
        /// The output.
        static var output: Saved { Saved(rawValue: 2) }
    }

    /// The name, in the graph and in anomaly reports.
    let name: String
    let computation: Computation
    let saving: Saved
    /// The derivative with respect to input i, called only for inputs that need a gradient; nil
    /// for an operation that is not differentiable (its output is a constant: comparisons, sign).
    let derivative: PrimitiveRule<Scalar>?
    let tangent: Tangent

    /// A differentiable primitive.
    init(
        _ name: String, _ computation: Computation, saving: Saved = [], derivative: @escaping PrimitiveRule<Scalar>,
        tangent: Tangent
    ) {
        self.name = name
        self.computation = computation
        self.saving = saving
        self.derivative = derivative
        self.tangent = tangent
    }

    /// A primitive whose output is a constant for differentiation (its derivative is zero).
    init(constant name: String, _ computation: Computation) {
        self.name = name
        self.computation = computation
        saving = []
        derivative = nil
        tangent = .sameAsDerivative
    }
}

/// The buffers a kernel runs on: one per operand, and the output.
struct KernelArguments<Scalar: TensorScalar> {
    let operands: UnsafeBufferPointer<UnsafeMutablePointer<Scalar>>
    let output: UnsafeMutablePointer<Scalar>

    /// The buffer of operand `index`.
    @inline(__always)
    subscript(index: Int) -> UnsafeMutablePointer<Scalar> { operands[index] }
}
