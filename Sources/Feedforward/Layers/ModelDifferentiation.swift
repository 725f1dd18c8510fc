/// Gradients of a scalar with respect to a model's parameters, by parameter name, in the model's
/// visiting order.
public struct ParameterGradients<Scalar: TensorScalar>: Sendable {
    public private(set) var names: [String]
    public private(set) var tensors: [Tensor<Scalar>]
    private var indexByName: [String: Int]

    init(names: [String], tensors: [Tensor<Scalar>]) {
        self.init(names: names, tensors: tensors, indexByName: Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) }))
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
