/// Updates a model's parameters from their gradients, in place on the parameters' storage.
///
/// An optimizer keeps per-parameter state (velocities, moment estimates) by parameter name; the state
/// is allocated on the first step and reused afterwards, so a step allocates no new tensors.
public protocol Optimizer<Scalar>: Sendable {
    /// The element type of the parameters it updates.
    associatedtype Scalar: TensorScalar

    /// The learning rate of the next step (schedules set it).
    var learningRate: Double { get set }

    /// Applies one step to every parameter of `model` that has a gradient.
    mutating func update<Model: Layer>(_ model: inout Model, along gradients: ParameterGradients<Scalar>)
    where Model.Scalar == Scalar

    /// The optimizer's state as named tensors (for checkpoints), and its step count.
    var state: [String: Tensor<Scalar>] { get }
    /// The number of steps taken (Adam's bias correction uses it).
    var stepCount: Int { get }

    /// Restores state saved from ``state`` and ``stepCount``.
    mutating func restore(state: [String: Tensor<Scalar>], stepCount: Int)
}

/// The shared machinery of the built-in optimizers: state buffers by name and the in-place step.
public struct OptimizerState<Scalar: TensorScalar>: Sendable {
    var buffers: [String: Tensor<Scalar>] = [:]
    var steps = 0

    /// Runs `rule` on every parameter that has a gradient, with the state buffers it keeps: a first
    /// moment (`NAME.first`, a velocity or a mean) and a second moment (`NAME.second`) when asked.
    mutating func apply<Model: Layer>(
        _ rule: OptimizerRule, firstMoment: Bool, secondMoment: Bool, to model: inout Model, gradients: ParameterGradients<Scalar>
    ) where Model.Scalar == Scalar {
        model.visitParameters { name, parameter in
            guard let gradient = gradients[name] else { return }
            precondition(gradient.shape == parameter.shape, "optimizer: gradient of '\(name)' has shape \(gradient.shape), parameter \(parameter.shape)")
            parameter.edge = nil
            parameter.makeUnique()
            let first = firstMoment ? buffer("\(name).first", like: parameter) : nil
            let second = secondMoment ? buffer("\(name).second", like: parameter) : nil
            Scalar._optimizerStep(
                rule, parameter: parameter.storage.base, gradient: gradient.storage.base,
                firstMoment: first, secondMoment: second, count: parameter.scalarCount)
        }
    }

    /// The storage of the state buffer `key`, created as zeros like `parameter` the first time.
    private mutating func buffer(_ key: String, like parameter: Tensor<Scalar>) -> UnsafeMutablePointer<Scalar> {
        if buffers[key]?.shape != parameter.shape {
            buffers[key] = .zeros(like: parameter)
        }
        buffers[key]!.makeUnique()
        return buffers[key]!.storage.base
    }
}

/// A built-in optimizer: its state is an ``OptimizerState``, which gives the checkpoint accessors.
protocol BufferedOptimizer: Optimizer {
    var storage: OptimizerState<Scalar> { get set }
}

extension BufferedOptimizer {
    public var state: [String: Tensor<Scalar>] { storage.buffers }
    public var stepCount: Int { storage.steps }

    public mutating func restore(state: [String: Tensor<Scalar>], stepCount: Int) {
        storage.buffers = state
        storage.steps = stepCount
    }
}

/// Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay
/// (added to the gradient, as PyTorch's `SGD`).
public struct SGD<Scalar: TensorScalar>: BufferedOptimizer {
    public var learningRate: Double
    /// The momentum coefficient (0 for plain SGD; 0.9 is usual).
    public var momentum: Double
    /// Whether the step uses Nesterov momentum (the gradient at the look-ahead point).
    public var nesterov: Bool
    /// The L2 coefficient added to the gradient as `weightDecay · θ`.
    public var weightDecay: Double
    var storage = OptimizerState<Scalar>()

    /// SGD with the given rate, momentum, Nesterov flag and weight decay.
    public init(learningRate: Double, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        precondition(learningRate >= 0 && momentum >= 0 && weightDecay >= 0, "SGD: hyperparameters must not be negative")
        precondition(!nesterov || momentum > 0, "SGD: Nesterov momentum needs momentum > 0")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public mutating func update<Model: Layer>(_ model: inout Model, along gradients: ParameterGradients<Scalar>)
    where Model.Scalar == Scalar {
        storage.steps += 1
        storage.apply(
            .sgd(learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay),
            firstMoment: momentum > 0, secondMoment: false, to: &model, gradients: gradients)
    }
}

/// RMSProp: the learning rate divided by a running root mean square of the gradient.
public struct RMSProp<Scalar: TensorScalar>: BufferedOptimizer {
    public var learningRate: Double
    /// The decay rate ρ of the running mean of squared gradients.
    public var decay: Double
    /// The constant added to the root mean square to avoid division by zero.
    public var epsilon: Double
    /// The L2 coefficient added to the gradient as `weightDecay · θ`.
    public var weightDecay: Double
    var storage = OptimizerState<Scalar>()

    /// RMSProp with the given hyperparameters (PyTorch's defaults but ρ = 0.99).
    public init(learningRate: Double = 0.001, decay: Double = 0.99, epsilon: Double = 1e-8, weightDecay: Double = 0) {
        precondition(learningRate >= 0 && decay >= 0 && decay < 1 && epsilon > 0, "RMSProp: invalid hyperparameters")
        self.learningRate = learningRate
        self.decay = decay
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public mutating func update<Model: Layer>(_ model: inout Model, along gradients: ParameterGradients<Scalar>)
    where Model.Scalar == Scalar {
        storage.steps += 1
        // RMSProp keeps one buffer, the running mean of squared gradients: a second moment.
        storage.apply(
            .rmsProp(learningRate: learningRate, decay: decay, epsilon: epsilon, weightDecay: weightDecay),
            firstMoment: false, secondMoment: true, to: &model, gradients: gradients)
    }

    /// Restores state saved from `state` and `stepCount`. State saved before RMSProp kept a
    /// single buffer also holds an unused, all-zero `NAME.first` per parameter; it is ignored.
    public mutating func restore(state: [String: Tensor<Scalar>], stepCount: Int) {
        storage.buffers = state.filter { !$0.key.hasSuffix(".first") }
        storage.steps = stepCount
    }
}

/// Adam (Kingma and Ba) with bias correction; with `decoupledWeightDecay` it is AdamW
/// (Loshchilov and Hutter): weight decay shrinks the parameters directly.
public struct Adam<Scalar: TensorScalar>: BufferedOptimizer {
    public var learningRate: Double
    /// The decay rate β₁ of the first-moment (mean) estimate.
    public var beta1: Double
    /// The decay rate β₂ of the second-moment (uncentred variance) estimate.
    public var beta2: Double
    /// The constant added to the denominator to avoid division by zero.
    public var epsilon: Double
    /// The weight decay coefficient: added to the gradient, or applied to the parameters when decoupled.
    public var weightDecay: Double
    /// Whether weight decay shrinks the parameters directly (AdamW) instead of adding to the gradient.
    public var decoupledWeightDecay: Bool
    var storage = OptimizerState<Scalar>()

    /// Adam with the given hyperparameters (PyTorch's defaults).
    public init(
        learningRate: Double = 0.001, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
        weightDecay: Double = 0, decoupledWeightDecay: Bool = false
    ) {
        precondition(learningRate >= 0 && (0..<1).contains(beta1) && (0..<1).contains(beta2) && epsilon > 0, "Adam: invalid hyperparameters")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// AdamW: Adam with decoupled weight decay (0.01 by default, as PyTorch).
    public static func adamW(learningRate: Double = 0.001, weightDecay: Double = 0.01) -> Adam {
        Adam(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public mutating func update<Model: Layer>(_ model: inout Model, along gradients: ParameterGradients<Scalar>)
    where Model.Scalar == Scalar {
        storage.steps += 1
        storage.apply(
            .adam(
                learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, step: storage.steps,
                weightDecay: weightDecay, decoupled: decoupledWeightDecay),
            firstMoment: true, secondMoment: true, to: &model, gradients: gradients)
    }
}
