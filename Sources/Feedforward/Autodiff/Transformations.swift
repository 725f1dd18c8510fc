// Differentiation as functions on functions, in the vocabulary of Swift's differentiable programming:
// gradient, valueWithGradient, pullback, jvp, jacobian, hessian, hessianVectorProduct.
//
// Transformations nest: inside an outer transformation the inner one records its own derivative
// computation, so `gradient(at: x) { x in gradient(at: x, of: f).sum() }` differentiates a gradient.

extension Tensor {
    /// A fresh handle on this tensor for one transformation: a new leaf, or, inside an outer
    /// transformation, an identity node that links the inner graph to the outer one.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func trackedForDifferentiation() -> Tensor {
        guard edge != nil, GradientRecording.isEnabled else { return requiringGradient() }
        return Primitive<Scalar>("input", .view(shape: shape), derivative: { g, _, _ in g }, tangent: .sameAsDerivative).bind(self)
    }
}

/// Runs `body` as the forward pass of a transformation: recording on, one level deeper.
func differentiating<R>(_ body: () throws -> R) rethrows -> R {
    try GradientRecording.$isEnabled.withValue(true) {
        try GradientRecording.$nestingDepth.withValue(GradientRecording.nestingDepth + 1, operation: body)
    }
}

/// Whether derivative computations should be recorded (an outer transformation may differentiate them).
var derivativesNeedRecording: Bool { GradientRecording.nestingDepth > 0 && GradientRecording.isEnabled }

/// Gradients of `Σ seed · output` with respect to `inputs`; zeros for inputs the output does not depend on.
@_specialize(where S == Float)
@_specialize(where S == Double)
func vectorJacobianProduct<S>(
    output: Tensor<S>, seed: Tensor<S>, inputs: [Tensor<S>], createGraph: Bool, retainGraph: Bool = false
) -> [Tensor<S>] {
    let edges = inputs.map { $0.edge! }
    let gradients = output.edge == nil
        ? inputs.map { _ in nil }
        : Backpropagation.run(
            outputs: [output], seeds: [seed], targets: edges, createGraph: createGraph, retainGraph: retainGraph || createGraph)
    return zip(gradients, inputs).map { $0 ?? Tensor.zeros(like: $1) }
}

/// The value of `f` at `x` and the gradient of that (scalar) value with respect to `x`.
///
/// The gradient of a variable that `f` does not depend on is zero (a documented choice, as in JAX).
public func valueWithGradient<S>(at x: Tensor<S>, of f: (Tensor<S>) -> Tensor<S>) -> (value: Tensor<S>, gradient: Tensor<S>) {
    let (value, gradients) = valueWithGradient(at: [x]) { f($0[0]) }
    return (value, gradients[0])
}

/// The gradient of the scalar `f` at `x`.
public func gradient<S>(at x: Tensor<S>, of f: (Tensor<S>) -> Tensor<S>) -> Tensor<S> {
    valueWithGradient(at: x, of: f).gradient
}

/// The gradients of the scalar `f(x, y)` with respect to both arguments.
public func gradient<S>(
    at x: Tensor<S>, _ y: Tensor<S>, of f: (Tensor<S>, Tensor<S>) -> Tensor<S>
) -> (Tensor<S>, Tensor<S>) {
    let gradients = valueWithGradient(at: [x, y]) { f($0[0], $0[1]) }.gradients
    return (gradients[0], gradients[1])
}

/// The value of the scalar `f` and its gradients with respect to each of `arguments`.
public func valueWithGradient<S>(
    at arguments: [Tensor<S>], of f: ([Tensor<S>]) -> Tensor<S>
) -> (value: Tensor<S>, gradients: [Tensor<S>]) {
    let tracked = arguments.map { $0.trackedForDifferentiation() }
    let value = differentiating { f(tracked) }
    precondition(value.scalarCount == 1, "gradient: the function's value must have one element, got shape \(value.shape)")
    let gradients = vectorJacobianProduct(
        output: value, seed: Tensor(shape: value.shape, scalars: [1]), inputs: tracked,
        createGraph: derivativesNeedRecording)
    return (derivativesNeedRecording ? value : value.detached(), gradients)
}

/// The value of `f` at `x` and its pullback (vector-Jacobian product): `v ↦ vᵀ ∂f/∂x`.
/// The pullback may be called several times.
public func valueWithPullback<S>(
    at x: Tensor<S>, of f: (Tensor<S>) -> Tensor<S>
) -> (value: Tensor<S>, pullback: (Tensor<S>) -> Tensor<S>) {
    let tracked = x.trackedForDifferentiation()
    let value = differentiating { f(tracked) }
    let record = derivativesNeedRecording
    let pullback = { (v: Tensor<S>) -> Tensor<S> in
        vectorJacobianProduct(output: value, seed: v, inputs: [tracked], createGraph: record, retainGraph: true)[0]
    }
    return (record ? value : value.detached(), pullback)
}

/// The pullback of `f` at `x` (see ``valueWithPullback(at:of:)``).
public func pullback<S>(at x: Tensor<S>, of f: (Tensor<S>) -> Tensor<S>) -> (Tensor<S>) -> Tensor<S> {
    valueWithPullback(at: x, of: f).pullback
}

extension Tensor {
    func detachedUnless(_ keep: Bool) -> Tensor { keep ? self : detached() }
}

/// The value of `f` at `x` and the Jacobian-vector product `(∂f/∂x) · v`, by forward accumulation.
///
/// The tangent `v` travels forward with the computation: each operation maps its inputs' tangents to
/// its output's with its tangent rule, so the cost is about that of `f` plus one more forward pass
/// for the tangents (and the recording of `f`'s graph). Tangent rules are differentiable, so a JVP can
/// be differentiated again (``hessianVectorProduct(at:along:of:)-([Tensor<S>],_,_)`` is reverse mode over it) and
/// nested JVPs give higher directional derivatives. It agrees with ``pullback(at:of:)``:
/// `⟨u, J v⟩ = ⟨Jᵀu, v⟩`.
public func valueWithJVP<S>(
    at x: Tensor<S>, along v: Tensor<S>, of f: (Tensor<S>) -> Tensor<S>
) -> (value: Tensor<S>, tangent: Tensor<S>) {
    precondition(v.shape == x.shape, "jvp: direction shape \(v.shape) differs from point shape \(x.shape)")
    return forwardAccumulation(at: [x], along: [v]) { f($0[0]) }
}

/// The value of `f` and its Jacobian-vector product along `directions`, one per argument
/// (forward accumulation, as ``valueWithJVP(at:along:of:)-(Tensor<S>,_,_)``).
public func valueWithJVP<S>(
    at arguments: [Tensor<S>], along directions: [Tensor<S>], of f: ([Tensor<S>]) -> Tensor<S>
) -> (value: Tensor<S>, tangent: Tensor<S>) {
    precondition(arguments.count == directions.count, "jvp: \(directions.count) directions for \(arguments.count) arguments")
    for (x, v) in zip(arguments, directions) {
        precondition(v.shape == x.shape, "jvp: direction shape \(v.shape) differs from point shape \(x.shape)")
    }
    return forwardAccumulation(at: arguments, along: directions, of: f)
}

/// Runs `f` on tracked `arguments` carrying the tangents `directions` (nil for none) at a new
/// forward-mode level; returns the value and its tangent (zeros where it does not depend on them).
func forwardAccumulation<S>(
    at arguments: [Tensor<S>], along directions: [Tensor<S>?], of f: ([Tensor<S>]) -> Tensor<S>
) -> (value: Tensor<S>, tangent: Tensor<S>) {
    var tracked: [Tensor<S>] = []
    let (value, tangent) = ForwardMode.withNewLevel(seed: { level in
        tracked = arguments.map { $0.trackedForDifferentiation() }
        for (argument, direction) in zip(tracked, directions) {
            guard let direction else { continue }
            level.attach(direction, to: argument.edge!.node, outputIndex: 0)
        }
    }) { level in
        let value = differentiating { f(tracked) }
        return (value, value.tangent(atLevel: level.id) ?? Tensor.zeros(like: value))
    }
    let record = derivativesNeedRecording
    return (value.detachedUnless(record), tangent.detachedUnless(record))
}

/// The Jacobian-vector product `(∂f/∂x) · v` (forward mode; see ``valueWithJVP(at:along:of:)-(Tensor<S>,_,_)``).
public func jvp<S>(at x: Tensor<S>, along v: Tensor<S>, of f: (Tensor<S>) -> Tensor<S>) -> Tensor<S> {
    valueWithJVP(at: x, along: v, of: f).tangent
}

/// How ``jacobian(at:mode:of:)`` builds the matrix.
public enum JacobianMode: Sendable {
    /// Forward mode when the input has fewer elements than the output, reverse mode otherwise (6.5.9).
    case automatic
    /// One Jacobian-vector product per input element (columns).
    case forward
    /// One vector-Jacobian product per output element (rows).
    case reverse
}

/// The Jacobian of `f` at `x` as a matrix of shape `[f(x).scalarCount, x.scalarCount]`.
public func jacobian<S>(at x: Tensor<S>, mode: JacobianMode = .automatic, of f: (Tensor<S>) -> Tensor<S>) -> Tensor<S> {
    let (value, pull) = valueWithPullback(at: x, of: f)
    let n = x.scalarCount
    let m = value.scalarCount
    if m == 0 || n == 0 { return Tensor.zeros(shape: [m, n]) }  // no rows or columns to stack
    let useForward: Bool
    switch mode {
    case .automatic: useForward = n < m
    case .forward: useForward = true
    case .reverse: useForward = false
    }
    if useForward {
        let columns = (0..<n).map { j -> Tensor<S> in
            var basis = [S](repeating: 0, count: n)
            basis[j] = 1
            return jvp(at: x, along: Tensor(shape: x.shape, scalars: basis), of: f).reshaped(to: [m])
        }
        return stack(columns, alongAxis: 1)
    }
    let rows = (0..<m).map { i -> Tensor<S> in
        var basis = [S](repeating: 0, count: m)
        basis[i] = 1
        return pull(Tensor(shape: value.shape, scalars: basis)).reshaped(to: [n])
    }
    return stack(rows, alongAxis: 0)
}

/// The Hessian-vector product `H v = ∇ₓ[(∇ₓ f)ᵀ v]` (eq. 6.59) of the scalar `f`, without forming H.
///
/// Reverse mode over forward mode: `(∇ₓ f)ᵀ v` is the JVP of `f` along `v`, and its gradient is `H v`.
/// Unlike reverse over reverse, this never computes the gradient itself, only its directional change.
public func hessianVectorProduct<S>(
    at x: Tensor<S>, along v: Tensor<S>, of f: (Tensor<S>) -> Tensor<S>
) -> Tensor<S> {
    precondition(v.shape == x.shape, "hessianVectorProduct: direction shape \(v.shape) differs from point shape \(x.shape)")
    return gradient(at: x) { x in jvp(at: x, along: v, of: f) }
}

/// The Hessian-vector product of the scalar `f` of several arguments along `directions`, one per
/// argument: the blocks `Σⱼ Hᵢⱼ vⱼ` for each argument i (reverse over forward, as the one-argument form).
public func hessianVectorProduct<S>(
    at arguments: [Tensor<S>], along directions: [Tensor<S>], of f: ([Tensor<S>]) -> Tensor<S>
) -> [Tensor<S>] {
    valueWithGradient(at: arguments) { x in valueWithJVP(at: x, along: directions, of: f).tangent }.gradients
}

/// The Hessian of the scalar `f` at `x`, shape `[x.scalarCount, x.scalarCount]` (one
/// Hessian-vector product per input element).
public func hessian<S>(at x: Tensor<S>, of f: (Tensor<S>) -> Tensor<S>) -> Tensor<S> {
    let n = x.scalarCount
    if n == 0 { return Tensor.zeros(shape: [0, 0]) }  // no rows to stack
    let rows = (0..<n).map { j -> Tensor<S> in
        var basis = [S](repeating: 0, count: n)
        basis[j] = 1
        return hessianVectorProduct(at: x, along: Tensor(shape: x.shape, scalars: basis), of: f).reshaped(to: [n])
    }
    return stack(rows, alongAxis: 0)
}

/// Recomputation (the storage-versus-recomputation trade-off of section 6.5): evaluates `segment`
/// without keeping its intermediate results, and evaluates it again during back-propagation to
/// obtain them. Gradients equal those without checkpointing; peak memory falls.
///
/// Gradients flow to `inputs` only: every tensor the segment needs gradients for (weights included)
/// must be passed in `inputs`; tensors it captures are constants. See ``Checkpointed`` for layers.
public func checkpointed<S>(_ inputs: [Tensor<S>], _ segment: @escaping ([Tensor<S>]) -> Tensor<S>) -> Tensor<S> {
    let outputs = customOperation("checkpoint", inputs: inputs, forward: { [segment($0)] }) { g, _, needs in
        // Re-run the segment with recording; link to the outer graph when derivatives are recorded.
        let recording = GradientRecording.isEnabled
        let tracked = inputs.map { recording && $0.edge != nil ? $0.trackedForDifferentiation() : $0.detached().requiringGradient() }
        let value = withGradients { segment(tracked) }
        let gradients = vectorJacobianProduct(output: value, seed: g[0]!, inputs: tracked, createGraph: recording)
        return zip(gradients, needs).map { $1 ? $0 : nil }
    }
    return outputs[0]
}

/// ``checkpointed(_:_:)-([Tensor<S>],_)`` for a segment of one input.
public func checkpointed<S>(_ x: Tensor<S>, _ segment: @escaping (Tensor<S>) -> Tensor<S>) -> Tensor<S> {
    checkpointed([x]) { segment($0[0]) }
}
