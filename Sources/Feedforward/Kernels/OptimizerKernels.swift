import RealModule

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

func optimizerLoop<T: TensorScalar>(
    _ rule: OptimizerRule, _ p: UnsafeMutablePointer<T>, _ g: UnsafePointer<T>,
    _ m: UnsafeMutablePointer<T>?, _ v: UnsafeMutablePointer<T>?, _ n: Int
) {
    switch rule {
    case .sgd(let learningRate, let momentum, let nesterov, let weightDecay):
        let eta = T(learningRate)
        let mu = T(momentum)
        let lambda = T(weightDecay)
        if let m, momentum != 0 {
            for i in 0..<n {
                let gradient = g[i] + lambda * p[i]
                let velocity = mu * m[i] + gradient
                m[i] = velocity
                p[i] -= eta * (nesterov ? gradient + mu * velocity : velocity)
            }
        } else {
            for i in 0..<n { p[i] -= eta * (g[i] + lambda * p[i]) }
        }
    case .rmsProp(let learningRate, let decay, let epsilon, let weightDecay):
        let eta = T(learningRate)
        let rho = T(decay)
        let eps = T(epsilon)
        let lambda = T(weightDecay)
        guard let v else { preconditionFailure("RMSProp needs a state buffer") }
        for i in 0..<n {
            let gradient = g[i] + lambda * p[i]
            v[i] = rho * v[i] + (1 - rho) * gradient * gradient
            p[i] -= eta * gradient / (v[i].squareRoot() + eps)
        }
    case .adam(let learningRate, let beta1, let beta2, let epsilon, let step, let weightDecay, let decoupled):
        guard let m, let v else { preconditionFailure("Adam needs two state buffers") }
        let b1 = T(beta1)
        let b2 = T(beta2)
        let correction1 = T(1 - Double.pow(beta1, Double(step)))
        let correction2 = T(1 - Double.pow(beta2, Double(step)))
        let eta = T(learningRate)
        let eps = T(epsilon)
        let coupled = decoupled ? 0 : T(weightDecay)
        let shrink = decoupled ? 1 - T(learningRate * weightDecay) : 1
        for i in 0..<n {
            let gradient = g[i] + coupled * p[i]
            m[i] = b1 * m[i] + (1 - b1) * gradient
            v[i] = b2 * v[i] + (1 - b2) * gradient * gradient
            let mHat = m[i] / correction1
            let vHat = v[i] / correction2
            p[i] = p[i] * shrink - eta * mHat / (vHat.squareRoot() + eps)
        }
    }
}
