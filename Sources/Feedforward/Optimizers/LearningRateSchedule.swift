import RealModule

/// A learning rate as a function of the step number (from 0).
public indirect enum LearningRateSchedule: Sendable, Equatable, Codable {
    /// The base rate throughout.
    case constant
    /// The base rate multiplied by `factor` every `interval` steps.
    case step(interval: Int, factor: Double)
    /// Cosine decay from the base rate to `minimum` over `totalSteps`, then `minimum`.
    case cosine(totalSteps: Int, minimum: Double)
    /// A linear ramp over `steps` (from `base/steps` at step 0 up to `base`), then `then` (counted from the ramp's end).
    case warmup(steps: Int, then: LearningRateSchedule)

    /// The rate at `step` for base rate `base`.
    public func learningRate(at step: Int, base: Double) -> Double {
        switch self {
        case .constant:
            return base
        case .step(let interval, let factor):
            return base * Double.pow(factor, Double(step / Swift.max(1, interval)))
        case .cosine(let totalSteps, let minimum):
            guard step < totalSteps else { return minimum }
            let progress = Double(step) / Double(Swift.max(1, totalSteps))
            return minimum + (base - minimum) * 0.5 * (1 + Double.cos(.pi * progress))
        case .warmup(let steps, let then):
            if step < steps { return base * Double(step + 1) / Double(steps) }
            return then.learningRate(at: step - steps, base: base)
        }
    }
}
