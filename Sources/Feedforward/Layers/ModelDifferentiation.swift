/// Gradients of a scalar with respect to a model's parameters, by parameter name, in the model's
/// visiting order.
public struct ParameterGradients<Scalar: TensorScalar>: Sendable {
    /// The parameter names, in the model's visiting order.
    public private(set) var names: [String]
    /// The gradient of each parameter, in the order of ``names``.
    public private(set) var tensors: [Tensor<Scalar>]
    private var indexByName: [String: Int]

    /// Tensors by parameter name, in a model's visiting order (for example directions for
    /// ``hessianVectorProduct(at:along:of:)-(Model,_,_)``). Names must be unique and match the tensors.
    public init(names: [String], tensors: [Tensor<Scalar>]) {
        precondition(names.count == tensors.count, "ParameterGradients: \(names.count) names for \(tensors.count) tensors")
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        precondition(index.count == names.count, "ParameterGradients: parameter names must be unique, got \(names)")
        self.init(names: names, tensors: tensors, indexByName: index)
    }

    /// Gradients with the index of `names` already built (a replayed step reuses it).
    init(names: [String], tensors: [Tensor<Scalar>], indexByName: [String: Int]) {
        self.names = names
        self.tensors = tensors
        self.indexByName = indexByName
    }

    /// The gradient of the parameter called `name`.
    public subscript(name: String) -> Tensor<Scalar>? {
        guard let index = indexByName[name] else { return nil }
        return tensors[index]
    }

    /// The Euclidean norm of all gradients together.
    public var globalNorm: Scalar {
        tensors.map { t in t.withUnsafeBufferPointer { $0.reduce(0) { $0 + $1 * $1 } } }.reduce(0, +).squareRoot()
    }

    /// Scales all gradients so their global norm is at most `maximumNorm`; returns the norm before.
    @discardableResult
    public mutating func clipByGlobalNorm(_ maximumNorm: Scalar) -> Scalar {
        let norm = globalNorm
        if norm > maximumNorm && norm.isFinite {
            let factor = maximumNorm / norm
            tensors = tensors.map { ($0 * factor).detached() }
        }
        return norm
    }
}

/// The value of `loss(model)` and its gradient with respect to every parameter of `model`.
///
/// ```swift
/// let (loss, gradients) = valueWithGradient(at: model) { model in
///     crossEntropy(logits: model(images), labels: labels)
/// }
/// optimizer.update(&model, along: gradients)
/// ```
public func valueWithGradient<Model: Layer>(
    at model: Model, of loss: (Model) -> Tensor<Model.Scalar>
) -> (value: Tensor<Model.Scalar>, gradients: ParameterGradients<Model.Scalar>) {
    var tracked = model
    var names: [String] = []
    var leaves: [Tensor<Model.Scalar>] = []
    tracked.visitParameters { name, parameter in
        parameter = parameter.trackedForDifferentiation()
        names.append(name)
        leaves.append(parameter)
    }
    let value = differentiating { loss(tracked) }
    precondition(value.scalarCount == 1, "valueWithGradient(at:of:): the loss must have one element, got shape \(value.shape)")
    let gradients = vectorJacobianProduct(
        output: value, seed: Tensor(shape: value.shape, scalars: [1]), inputs: leaves,
        createGraph: derivativesNeedRecording)
    return (value.detachedUnless(derivativesNeedRecording), ParameterGradients(names: names, tensors: gradients))
}

/// The gradient of `loss(model)` with respect to every parameter of `model`.
public func gradient<Model: Layer>(
    at model: Model, of loss: (Model) -> Tensor<Model.Scalar>
) -> ParameterGradients<Model.Scalar> {
    valueWithGradient(at: model, of: loss).gradients
}

/// The directional derivative of `loss(model)` along `directions` in parameter space,
/// `(∇θ L)ᵀ v`, by forward accumulation (see ``valueWithJVP(at:along:of:)-([Tensor<S>],_,_)``).
///
/// `directions` holds v by parameter name, each tensor with its parameter's shape; a parameter without
/// a direction has v = 0 there.
public func jvp<Model: Layer>(
    at model: Model, along directions: ParameterGradients<Model.Scalar>, of loss: (Model) -> Tensor<Model.Scalar>
) -> Tensor<Model.Scalar> {
    var names: [String] = []
    var arguments: [Tensor<Model.Scalar>] = []
    var copy = model
    copy.visitParameters { name, parameter in
        names.append(name)
        arguments.append(parameter)
    }
    for name in directions.names where !names.contains(name) {
        preconditionFailure("jvp: direction '\(name)' names no parameter of the model")
    }
    let tangents = zip(names, arguments).map { name, parameter -> Tensor<Model.Scalar>? in
        guard let v = directions[name] else { return nil }
        precondition(v.shape == parameter.shape, "jvp: direction '\(name)' has shape \(v.shape), parameter \(parameter.shape)")
        return v
    }
    return forwardAccumulation(at: arguments, along: tangents) { tracked in
        var index = 0
        copy.visitParameters { _, parameter in
            parameter = tracked[index]
            index += 1
        }
        return loss(copy)
    }.tangent
}

/// The Hessian-vector product `H v = ∇θ[(∇θ L)ᵀ v]` (eq. 6.59) of `loss(model)` with respect to all
/// parameters θ of `model`, without forming H: reverse mode over the forward-mode
/// ``jvp(at:along:of:)-(Model,_,_)``, about two to three gradients' work.
///
/// `directions` holds v by parameter name, each tensor with its parameter's shape; a parameter without
/// a direction has v = 0 there. The result has an entry for every parameter.
///
/// ```swift
/// let v = ParameterGradients(names: model.parameters.map(\.name), tensors: randomDirections)
/// let hv = hessianVectorProduct(at: model, along: v) { crossEntropy(logits: $0(x), labels: labels) }
/// ```
public func hessianVectorProduct<Model: Layer>(
    at model: Model, along directions: ParameterGradients<Model.Scalar>, of loss: (Model) -> Tensor<Model.Scalar>
) -> ParameterGradients<Model.Scalar> {
    gradient(at: model) { model in jvp(at: model, along: directions, of: loss) }
}

extension Layer {
    /// The model with each parameter moved by `-step · gradient` (a plain gradient step that
    /// allocates new tensors; optimizers update in place instead).
    public func moved(along gradients: ParameterGradients<Scalar>, step: Scalar) -> Self {
        var copy = self
        copy.visitParameters { name, parameter in
            if let g = gradients[name] { parameter = (parameter - g * step).detached() }
        }
        return copy
    }
}
