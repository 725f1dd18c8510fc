import Feedforward
import Foundation

// `feedforward-bench xor`: framework overhead, as benchmarks/xor_reference.py measures it. A 2-2-1
// network (ReLU hidden, linear output, mean squared error) on the four XOR points as one batch, plain
// SGD lr 0.1; gradient steps per second (forward + backward + parameter update), median of 7 samples
// of about `sampleSeconds` each. Measured eagerly (`valueWithGradient`) and captured
// (`CapturedGradient`, the same update outside it).

/// Steps per second of `step`, median (with min and max) of `samples` samples.
/// `steps` counts every call of `step`, warm-up included.
func stepsPerSecond(
    samples: Int = 7, sampleSeconds: Double = 1.0, _ step: () -> Void
) -> (median: Double, min: Double, max: Double, steps: Int) {
    for _ in 0..<50 { step() }
    let t0 = now()
    for _ in 0..<200 { step() }
    let n = max(1, Int(sampleSeconds / max(now() - t0, 1e-9) * 200))
    var rates: [Double] = []
    for _ in 0..<samples {
        let start = now()
        for _ in 0..<n { step() }
        rates.append(Double(n) / (now() - start))
    }
    rates.sort()
    return (rates[rates.count / 2], rates.first!, rates.last!, 250 + samples * n)
}

struct XORProblem {
    let x = Tensor<Float>(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
    let y = Tensor<Float>(shape: [4, 1], scalars: [0, 1, 1, 0])
    let model: Sequential<Float>

    init(activation: Activation = .relu) {
        var generator = SeededRandomNumberGenerator(seed: 1)
        func uniform(_ shape: [Int]) -> Tensor<Float> {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &generator) })
        }
        model = Sequential([
            Dense(weight: uniform([2, 2]), bias: Tensor<Float>([0.1, 0.1]), activation: activation),
            Dense(weight: uniform([1, 2]), bias: Tensor<Float>([0]), activation: .identity),
        ])
    }

    func loss(_ model: Sequential<Float>) -> Tensor<Float> {
        meanSquaredError(predictions: model(x), targets: y)
    }

    /// The loss as a captured gradient of the model and the inputs `[x, y]`.
    func capturedGradient() -> CapturedGradient<Sequential<Float>> {
        CapturedGradient { model, inputs in meanSquaredError(predictions: model(inputs[0]), targets: inputs[1]) }
    }
}

func runXORBenchmark(sampleSeconds: Double) -> [String: Any] {
    ComputeEnvironment.threadCount = 2
    let problem = XORProblem()

    // The protocol: valueWithGradient at the model, then the optimizer's in-place update.
    var model = problem.model
    var optimizer = SGD<Float>(learningRate: 0.1)
    let training = stepsPerSecond(sampleSeconds: sampleSeconds) {
        let (_, gradients) = valueWithGradient(at: model) { problem.loss($0) }
        optimizer.update(&model, along: gradients)
    }
    let finalLoss = withoutGradients { problem.loss(model).scalar }
    let eagerSteps = training.steps

    // The same protocol with the gradient captured once and replayed; the same number of steps
    // from the same start must give the same model, bit for bit.
    let captured = problem.capturedGradient()
    var capturedModel = problem.model
    var capturedOptimizer = SGD<Float>(learningRate: 0.1)
    let inputs = [problem.x, problem.y]
    func capturedStep() {
        do {
            let (_, gradients) = try captured(at: capturedModel, inputs: inputs)
            capturedOptimizer.update(&capturedModel, along: gradients)
        } catch {
            fatalError("xor: the captured gradient failed: \(error)")
        }
    }
    let capturedTraining = stepsPerSecond(sampleSeconds: sampleSeconds, capturedStep)
    if capturedTraining.steps < eagerSteps {
        for _ in capturedTraining.steps..<eagerSteps { capturedStep() }
    } else {
        for _ in eagerSteps..<capturedTraining.steps {
            let (_, gradients) = valueWithGradient(at: model) { problem.loss($0) }
            optimizer.update(&model, along: gradients)
        }
    }
    let sameModel = zip(model.parameters, capturedModel.parameters).allSatisfy { $0.value.scalars == $1.value.scalars }
    let capturedFinalLoss = withoutGradients { problem.loss(capturedModel).scalar }
    let eagerLossAtSameSteps = withoutGradients { problem.loss(model).scalar }

    // Break-down: the gradient alone (no update), and the forward pass alone with nothing recorded.
    let frozen = problem.model
    let gradientOnly = stepsPerSecond(sampleSeconds: sampleSeconds / 2) {
        _ = valueWithGradient(at: frozen) { problem.loss($0) }
    }
    let forwardOnly = stepsPerSecond(sampleSeconds: sampleSeconds / 2) {
        _ = withoutGradients { problem.loss(frozen) }
    }
    var updateModel = problem.model
    var updateOptimizer = SGD<Float>(learningRate: 1e-9)
    let (_, fixedGradients) = valueWithGradient(at: updateModel) { problem.loss($0) }
    let updateOnly = stepsPerSecond(sampleSeconds: sampleSeconds / 2) {
        updateOptimizer.update(&updateModel, along: fixedGradients)
    }
    return [
        "bench": "xor_2-2-1", "impl": "feedforward", "version": FeedforwardLibrary.version, "threads": 2,
        "steps_per_s_median": training.median, "min": training.min, "max": training.max,
        "us_per_step": 1e6 / training.median, "final_loss": Double(finalLoss),
        "us_gradient_only": 1e6 / gradientOnly.median, "us_forward_untracked": 1e6 / forwardOnly.median,
        "us_update_only": 1e6 / updateOnly.median,
        "captured_steps_per_s_median": capturedTraining.median, "captured_min": capturedTraining.min,
        "captured_max": capturedTraining.max, "captured_us_per_step": 1e6 / capturedTraining.median,
        "captured_final_loss": Double(capturedFinalLoss), "captured_same_model": sameModel,
        "eager_loss_at_same_steps": Double(eagerLossAtSameSteps),
        "steps_compared": max(eagerSteps, capturedTraining.steps),
    ]
}

/// Runs exactly `steps` training steps and nothing else, for profilers (callgrind, perf); with
/// `captured`, through a captured gradient (captured on the first step).
func xorProfileRun(steps: Int, captured: Bool) {
    let problem = XORProblem()
    var model = problem.model
    var optimizer = SGD<Float>(learningRate: 0.1)
    let capturedGradient = problem.capturedGradient()
    let inputs = [problem.x, problem.y]
    for _ in 0..<steps {
        let gradients: ParameterGradients<Float>
        if captured {
            do {
                gradients = try capturedGradient(at: model, inputs: inputs).gradients
            } catch {
                fatalError("xor: the captured gradient failed: \(error)")
            }
        } else {
            gradients = valueWithGradient(at: model) { problem.loss($0) }.gradients
        }
        optimizer.update(&model, along: gradients)
    }
    print("ran \(steps) steps; final loss \(withoutGradients { problem.loss(model).scalar })")
}

func xorBenchmark(_ arguments: [String]) {
    if let index = arguments.firstIndex(of: "--profile-steps"), index + 1 < arguments.count, let steps = Int(arguments[index + 1]) {
        xorProfileRun(steps: steps, captured: arguments.contains("--captured"))
        return
    }
    let asJSON = arguments.contains("--json")
    let result = runXORBenchmark(sampleSeconds: arguments.contains("--quick") ? 0.2 : 1.0)
    if asJSON {
        print(jsonString(result))
        return
    }
    func d(_ key: String) -> Double { result[key] as! Double }
    print(String(format: "XOR 2-2-1 full batch: %.0f steps/s (%.2f µs/step; min %.0f, max %.0f), final loss %.4g",
                 d("steps_per_s_median"), d("us_per_step"), d("min"), d("max"), d("final_loss")))
    print(String(format: "  break-down: gradient alone %.2f µs, SGD update alone %.2f µs, forward untracked %.2f µs",
                 d("us_gradient_only"), d("us_update_only"), d("us_forward_untracked")))
    print(String(format: "XOR 2-2-1 captured (CapturedGradient + the same update): %.0f steps/s (%.2f µs/step; min %.0f, max %.0f), final loss %.4g",
                 d("captured_steps_per_s_median"), d("captured_us_per_step"), d("captured_min"), d("captured_max"),
                 d("captured_final_loss")))
    print(String(format: "  after %d steps each: captured loss %.9g, eager loss %.9g; the models are %@",
                 result["steps_compared"] as! Int, d("captured_final_loss"), d("eager_loss_at_same_steps"),
                 (result["captured_same_model"] as! Bool) ? "bitwise the same" : "DIFFERENT"))
}
