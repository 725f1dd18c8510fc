/// The update rule of one optimizer step, with its hyperparameters for this step.
public enum OptimizerRule: Sendable {
    /// `g ← g + λθ; v ← μv + g; θ ← θ - η(g + μv if Nesterov, else v)`; no state when μ = 0.
    case sgd(learningRate: Double, momentum: Double, nesterov: Bool, weightDecay: Double)
    /// `g ← g + λθ; s ← ρs + (1-ρ)g²; θ ← θ - η g / (√s + ε)`.
    case rmsProp(learningRate: Double, decay: Double, epsilon: Double, weightDecay: Double)
    /// Adam with bias correction at step `t` (from 1). With `decoupled`, weight decay is AdamW's
    /// `θ ← θ - ηλθ`; otherwise it is added to the gradient.
    case adam(learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, step: Int, weightDecay: Double, decoupled: Bool)
}
