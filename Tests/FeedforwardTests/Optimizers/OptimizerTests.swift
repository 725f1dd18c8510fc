import Foundation
import Testing
@testable import Feedforward

/// Reference updates written independently from PyTorch's documented algorithms (torch.optim.SGD,
/// RMSprop, Adam, AdamW), on plain arrays of Double.
enum Reference {
    struct SGD {
        var lr, momentum, weightDecay: Double
        var nesterov = false
        var buffer: [Double]? = nil

        mutating func step(_ p: inout [Double], _ g: [Double]) {
            var d = zip(g, p).map { $0 + weightDecay * $1 }
            if momentum != 0 {
                // torch: buf = d on the first step, then buf = momentum·buf + d (no dampening).
                let buf = buffer.map { zip($0, d).map { momentum * $0 + $1 } } ?? d
                buffer = buf
                d = nesterov ? zip(d, buf).map { $0 + momentum * $1 } : buf
            }
            p = zip(p, d).map { $0 - lr * $1 }
        }
    }

    struct RMSProp {
        var lr, alpha, eps, weightDecay: Double
        var squareAverage: [Double]? = nil

        mutating func step(_ p: inout [Double], _ g: [Double]) {
            let d = zip(g, p).map { $0 + weightDecay * $1 }
            let previous = squareAverage ?? Array(repeating: 0, count: d.count)
            let average = zip(previous, d).map { alpha * $0 + (1 - alpha) * $1 * $1 }
            squareAverage = average
            p = (0..<p.count).map { p[$0] - lr * d[$0] / (average[$0].squareRoot() + eps) }
        }
    }

    struct Adam {
        var lr, beta1, beta2, eps, weightDecay: Double
        var decoupled: Bool
        var m: [Double]? = nil, v: [Double]? = nil, t = 0

        mutating func step(_ p: inout [Double], _ g: [Double]) {
            t += 1
            var grad = g
            if decoupled {
                p = p.map { $0 * (1 - lr * weightDecay) }          // AdamW: decay first
            } else {
                grad = zip(g, p).map { $0 + weightDecay * $1 }     // Adam: L2 in the gradient
            }
            let m0 = m ?? Array(repeating: 0, count: g.count), v0 = v ?? Array(repeating: 0, count: g.count)
            let m1 = zip(m0, grad).map { beta1 * $0 + (1 - beta1) * $1 }
            let v1 = zip(v0, grad).map { beta2 * $0 + (1 - beta2) * $1 * $1 }
            m = m1; v = v1
            let bias1 = 1 - Double.pow(beta1, Double(t)), bias2 = 1 - Double.pow(beta2, Double(t))
            let stepSize = lr / bias1
            p = (0..<p.count).map { p[$0] - stepSize * m1[$0] / (v1[$0].squareRoot() / bias2.squareRoot() + eps) }
        }
    }
}

@Suite("Optimizers: updates, state, schedules, clipping, weight decay") struct OptimizerTests {
    /// A tiny model: weight [[0.5, -0.3]], bias [0.1].
    func model() -> Dense<Double> { Dense(weight: [[0.5, -0.3]], bias: [0.1]) }

    /// Three steps' gradients for (weight, bias).
    let gradientSteps: [([Double], [Double])] = [([0.2, -0.4], [0.1]), ([-0.1, 0.3], [0.05]), ([0.4, 0], [-0.2])]

    func gradients(_ step: Int) -> ParameterGradients<Double> {
        ParameterGradients(names: ["weight", "bias"], tensors: [
            Tensor(shape: [1, 2], scalars: gradientSteps[step].0), Tensor(gradientSteps[step].1),
        ])
    }

    /// Runs `optimizer` for three steps and compares every parameter after every step with `reference`.
    func expectMatches<O: Optimizer>(
        _ optimizer: O, _ makeReference: () -> (inout [Double], [Double]) -> Void,
        tolerance: Double = 1e-14, sourceLocation: SourceLocation = #_sourceLocation
    ) where O.Scalar == Double {
        var optimizer = optimizer
        var layer = model()
        var weight = layer.weight.scalars, bias = layer.bias!.scalars
        let stepWeight = makeReference(), stepBias = makeReference()
        for step in 0..<3 {
            optimizer.update(&layer, along: gradients(step))
            stepWeight(&weight, gradientSteps[step].0)
            stepBias(&bias, gradientSteps[step].1)
            for (got, want) in zip(layer.weight.scalars + layer.bias!.scalars, weight + bias) {
                #expect(Swift.abs(got - want) <= tolerance * Swift.max(1, Swift.abs(want)),
                        "step \(step + 1): \(got) vs \(want)", sourceLocation: sourceLocation)
            }
        }
        #expect(optimizer.stepCount == 3, sourceLocation: sourceLocation)
    }

    /// Wraps a reference optimizer value in a stepping closure with its own state.
    func stepper<R>(_ reference: R, _ step: @escaping (inout R, inout [Double], [Double]) -> Void) -> (inout [Double], [Double]) -> Void {
        var state = reference
        return { p, g in step(&state, &p, g) }
    }

    @Test func plainSGDFirstStepsByHand() {
        var optimizer = SGD<Double>(learningRate: 0.1)
        var layer = model()
        optimizer.update(&layer, along: gradients(0))
        // 0.5 - 0.1·0.2, -0.3 - 0.1·(-0.4), 0.1 - 0.1·0.1
        #expect(approximatelyEqual(layer.weight, [0.48, -0.26]) && approximatelyEqual(layer.bias!, [0.09]))
        optimizer.update(&layer, along: gradients(1))
        #expect(approximatelyEqual(layer.weight, [0.49, -0.29]) && approximatelyEqual(layer.bias!, [0.085]))
        #expect(optimizer.state.isEmpty, "plain SGD keeps no state")
    }

    @Test func momentumAndNesterovFirstStepsByHand() {
        var momentum = SGD<Double>(learningRate: 0.1, momentum: 0.9)
        var nesterov = SGD<Double>(learningRate: 0.1, momentum: 0.9, nesterov: true)
        var a = model(), b = model()
        momentum.update(&a, along: gradients(0))
        nesterov.update(&b, along: gradients(0))
        // Momentum: v = g = 0.2, p = 0.5 - 0.02. Nesterov: p = 0.5 - 0.1(0.2 + 0.9·0.2) = 0.462.
        #expect(approximatelyEqual(a.weight, [0.48, -0.26]))
        #expect(approximatelyEqual(b.weight, [0.462, -0.224]))
        momentum.update(&a, along: gradients(1))
        nesterov.update(&b, along: gradients(1))
        // v = 0.9·0.2 - 0.1 = 0.08, p = 0.48 - 0.008 = 0.472; Nesterov: 0.462 - 0.1(-0.1 + 0.9·0.08) = 0.4648.
        #expect(approximatelyEqual(a.weight.slice(alongAxis: 1, 0..<1), [0.472]))
        #expect(approximatelyEqual(b.weight.slice(alongAxis: 1, 0..<1), [0.4648]))
        #expect(approximatelyEqual(momentum.state["weight.first"]!, [0.08, 0.9 * -0.4 + 0.3]))
    }

    @Test(arguments: [(0.0, false, 0.0), (0.9, false, 0.0), (0.9, true, 0.0), (0.5, false, 0.01), (0.8, true, 0.05), (0.0, false, 0.1)])
    func sgdMatchesPyTorch(momentum: Double, nesterov: Bool, weightDecay: Double) {
        expectMatches(SGD<Double>(learningRate: 0.05, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)) {
            stepper(Reference.SGD(lr: 0.05, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov)) { $0.step(&$1, $2) }
        }
    }

    @Test(arguments: [(0.99, 1e-8, 0.0), (0.9, 0.01, 0.0), (0.5, 0.1, 0.02)])
    func rmsPropMatchesPyTorch(decay: Double, epsilon: Double, weightDecay: Double) {
        expectMatches(RMSProp<Double>(learningRate: 0.01, decay: decay, epsilon: epsilon, weightDecay: weightDecay)) {
            stepper(Reference.RMSProp(lr: 0.01, alpha: decay, eps: epsilon, weightDecay: weightDecay)) { $0.step(&$1, $2) }
        }
    }

    @Test func rmsPropFirstStepByHand() {
        var optimizer = RMSProp<Double>(learningRate: 0.01, decay: 0.9, epsilon: 0.001)
        var layer = model()
        optimizer.update(&layer, along: gradients(0))
        // s = 0.1·g², step = lr·g/(√s + ε) = lr·g/(|g|·√0.1 + ε)
        func step(_ g: Double) -> Double { 0.01 * g / (Swift.abs(g) * 0.1.squareRoot() + 0.001) }
        #expect(approximatelyEqual(layer.weight, [0.5 - step(0.2), -0.3 - step(-0.4)]) && approximatelyEqual(layer.bias!, [0.1 - step(0.1)]))
        #expect(approximatelyEqual(optimizer.state["weight.second"]!, [0.1 * 0.04, 0.1 * 0.16]))
    }

    @Test func rmsPropKeepsOneBufferAndReadsStateThatHeldAnUnusedOne() {
        var optimizer = RMSProp<Double>(learningRate: 0.01)
        var layer = model()
        optimizer.update(&layer, along: gradients(0))
        #expect(optimizer.state.keys.sorted() == ["bias.second", "weight.second"])
        // State saved before RMSProp kept one buffer: the same, and an all-zero `.first` per parameter.
        var saved = optimizer.state
        for (key, value) in optimizer.state { saved[key.replacingOccurrences(of: ".second", with: ".first")] = .zeros(like: value) }
        var restored = RMSProp<Double>(learningRate: 0.01)
        restored.restore(state: saved, stepCount: optimizer.stepCount)
        #expect(restored.state.keys.sorted() == ["bias.second", "weight.second"])
        var continued = layer
        optimizer.update(&layer, along: gradients(1))
        restored.update(&continued, along: gradients(1))
        #expect(continued.weight == layer.weight && continued.bias! == layer.bias!)
    }

    @Test(arguments: [(1e-8, 0.0, false), (0.01, 0.0, false), (1e-8, 0.1, false), (0.01, 0.1, true), (1e-8, 0.01, true)])
    func adamMatchesPyTorch(epsilon: Double, weightDecay: Double, decoupled: Bool) {
        expectMatches(Adam<Double>(learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: epsilon, weightDecay: weightDecay, decoupledWeightDecay: decoupled)) {
            stepper(Reference.Adam(lr: 0.01, beta1: 0.8, beta2: 0.95, eps: epsilon, weightDecay: weightDecay, decoupled: decoupled)) { $0.step(&$1, $2) }
        }
    }

    @Test func adamAndAdamWFirstStepsByHand() {
        // Adam's first step is lr·g/(|g| + ε) after bias correction: about lr·sign(g).
        var adam = Adam<Double>(learningRate: 0.1)
        var a = model()
        adam.update(&a, along: gradients(0))
        #expect(approximatelyEqual(a.weight, [0.5 - 0.1 * 0.2 / (0.2 + 1e-8), -0.3 + 0.1 * 0.4 / (0.4 + 1e-8)]))
        // Second step: m = 0.9·0.1·0.2·… by hand for the first weight: g1 = 0.2, g2 = -0.1.
        adam.update(&a, along: gradients(1))
        let m = (0.9 * 0.1 * 0.2 + 0.1 * -0.1) / (1 - 0.81)
        let v = (0.999 * 0.001 * 0.04 + 0.001 * 0.01) / (1 - 0.999 * 0.999)
        #expect(approximatelyEqual(a.weight.slice(alongAxis: 1, 0..<1), [0.5 - 0.1 * 0.2 / (0.2 + 1e-8) - 0.1 * m / (v.squareRoot() + 1e-8)]))

        // AdamW shrinks the weights by (1 - lr·λ) first, then takes the Adam step.
        var adamW = Adam<Double>.adamW(learningRate: 0.1, weightDecay: 0.5)
        #expect(adamW.decoupledWeightDecay && adamW.weightDecay == 0.5 && adamW.beta1 == 0.9 && adamW.beta2 == 0.999)
        #expect(Adam<Double>.adamW().weightDecay == 0.01)
        var w = model()
        adamW.update(&w, along: gradients(0))
        #expect(approximatelyEqual(w.weight, [0.5 * 0.95 - 0.1 * 0.2 / (0.2 + 1e-8), -0.3 * 0.95 + 0.1 * 0.4 / (0.4 + 1e-8)]))
    }

    @Test func floatAdamFollowsTheDoubleReference() {
        var optimizer = Adam<Float>(learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: true)
        var layer = Dense<Float>(weight: [[0.5, -0.3]], bias: [0.1])
        var reference = Reference.Adam(lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, decoupled: true)
        var weight = [0.5, -0.3]
        for step in 0..<3 {
            let g = ParameterGradients<Float>(names: ["weight"], tensors: [Tensor(shape: [1, 2], scalars: gradientSteps[step].0.map { Float($0) })])
            optimizer.update(&layer, along: g)
            reference.step(&weight, gradientSteps[step].0)
        }
        #expect(zip(layer.weight.scalars, weight).allSatisfy { Swift.abs(Double($0) - $1) < 1e-6 })
        #expect(layer.bias!.scalars == [0.1], "a parameter without a gradient is left alone")
    }

    @Test func stateIsKeptByNameAndReusedInPlace() {
        var optimizer = Adam<Double>(learningRate: 0.01)
        var layer = model()
        optimizer.update(&layer, along: gradients(0))
        #expect(Set(optimizer.state.keys) == ["weight.first", "weight.second", "bias.first", "bias.second"])
        func address(_ key: String) -> UnsafePointer<Double>? { optimizer.state[key]!.withUnsafeBufferPointer { $0.baseAddress } }
        func parameterAddress() -> UnsafePointer<Double>? { layer.weight.withUnsafeBufferPointer { $0.baseAddress } }
        let (first, second, parameter) = (address("weight.first"), address("weight.second"), parameterAddress())
        optimizer.update(&layer, along: gradients(1))
        optimizer.update(&layer, along: gradients(2))
        #expect(address("weight.first") == first && address("weight.second") == second, "the state buffers are reused")
        #expect(parameterAddress() == parameter, "parameters are updated in place")
        // The buffers hold the running moments.
        let m = 0.9 * (0.9 * 0.1 * 0.2 + 0.1 * -0.1) + 0.1 * 0.4
        #expect(approximatelyEqual(optimizer.state["weight.first"]!.slice(alongAxis: 1, 0..<1), [m]))

        // Restoring the state continues the same trajectory.
        var copy = model()
        var original = Adam<Double>(learningRate: 0.01)
        original.update(&copy, along: gradients(0))
        original.update(&copy, along: gradients(1))
        var restored = Adam<Double>(learningRate: 0.01)
        restored.restore(state: original.state, stepCount: original.stepCount)
        var other = copy
        original.update(&copy, along: gradients(2))
        restored.update(&other, along: gradients(2))
        #expect(copy.weight == other.weight && copy.bias == other.bias && restored.stepCount == 3)
        // A copy made before the update keeps the old values: updates do not leak into shared storage.
        var shared = model()
        let snapshot = shared
        var sgd = SGD<Double>(learningRate: 1)
        sgd.update(&shared, along: gradients(0))
        #expect(snapshot.weight.scalars == [0.5, -0.3] && shared.weight.scalars != [0.5, -0.3])
    }

    @Test func learningRateChangesTakeEffectOnTheNextStep() {
        var optimizer = SGD<Double>(learningRate: 0.1)
        var layer = model()
        optimizer.update(&layer, along: gradients(0))
        optimizer.learningRate = LearningRateSchedule.step(interval: 1, factor: 0.5).learningRate(at: 1, base: 0.1)
        optimizer.update(&layer, along: gradients(1))
        #expect(approximatelyEqual(layer.weight, [0.48 + 0.005, -0.26 - 0.015]))
    }

    @Test func schedulesFollowTheirFormulas() {
        let base = 0.1
        let stepped = LearningRateSchedule.step(interval: 10, factor: 0.5)
        #expect([0, 9, 10, 19, 20, 35].map { stepped.learningRate(at: $0, base: base) } == [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125])
        #expect(LearningRateSchedule.constant.learningRate(at: 1000, base: base) == base)

        let cosine = LearningRateSchedule.cosine(totalSteps: 100, minimum: 0.001)
        let expected = [0, 25, 50, 75, 99].map { t in 0.001 + (base - 0.001) * (1 + Double.cos(Double.pi * Double(t) / 100)) / 2 }
        let got = [0, 25, 50, 75, 99].map { cosine.learningRate(at: $0, base: base) }
        #expect(zip(got, expected).allSatisfy { Swift.abs($0 - $1) < 1e-15 })
        #expect(got[0] == base && Swift.abs(got[2] - 0.0505) < 1e-15)
        #expect(cosine.learningRate(at: 100, base: base) == 0.001 && cosine.learningRate(at: 500, base: base) == 0.001)

        let warm = LearningRateSchedule.warmup(steps: 4, then: .cosine(totalSteps: 10, minimum: 0))
        let ramp = (0..<4).map { warm.learningRate(at: $0, base: base) }
        #expect(zip(ramp, [0.025, 0.05, 0.075, 0.1]).allSatisfy { Swift.abs($0 - $1) < 1e-15 })
        #expect(warm.learningRate(at: 4, base: base) == base)
        #expect(Swift.abs(warm.learningRate(at: 9, base: base) - 0.05) < 1e-15)
        #expect(warm.learningRate(at: 14, base: base) == 0)
        #expect(LearningRateSchedule.warmup(steps: 2, then: .constant).learningRate(at: 50, base: base) == base)
    }

    @Test func clippingByGlobalNorm() {
        var g = ParameterGradients<Double>(names: ["a", "b"], tensors: [[3, 4], [12]])
        #expect(g.globalNorm == 13)
        #expect(g.clipByGlobalNorm(26) == 13)
        #expect(g["a"]!.scalars == [3, 4] && g["b"]!.scalars == [12], "below the limit nothing changes")
        #expect(g.clipByGlobalNorm(6.5) == 13)
        #expect(approximatelyEqual(g["a"]!, [1.5, 2]) && approximatelyEqual(g["b"]!, [6]))
        #expect(Swift.abs(g.globalNorm - 6.5) < 1e-14)
        #expect(g["c"] == nil && g.names == ["a", "b"])
    }

    @Test func l2PenaltyGradientIsTwoLambdaWOnWeightsOnly() throws {
        var generator = SeededRandomNumberGenerator(seed: 3)
        let network = Sequential<Double> {
            Dense<Double>(inputSize: 3, outputSize: 4, activation: .relu, generator: &generator)
            Dense<Double>(inputSize: 4, outputSize: 2, generator: &generator)
        }
        let lambda = 0.05
        let g = gradient(at: network) { l2Penalty($0, strength: lambda) }
        for (name, value) in network.parameters {
            let expected = value.rank >= 2 ? value.scalars.map { 2 * lambda * $0 } : Array(repeating: 0.0, count: value.scalarCount)
            #expect(approximatelyEqual(try #require(g[name]), expected), "\(name)")
        }
        let withBiases = gradient(at: network) { l2Penalty($0, strength: lambda, includingBiases: true) }
        #expect(approximatelyEqual(withBiases["0.bias"]!, network.parameters[1].value.scalars.map { 2 * lambda * $0 }))
        let l1 = gradient(at: network) { l1Penalty($0, strength: lambda) }
        #expect(approximatelyEqual(l1["1.weight"]!, network.parameters[2].value.scalars.map { lambda * ($0 > 0 ? 1 : -1) }))
    }

    @Test func sgdWeightDecayIsTheGradientOfTheL2Penalty() {
        // Eq. 6.56: minimising J + λΣw² moves w by -ε(∇J + 2λw); SGD's weight decay 2λ does the same.
        var generator = SeededRandomNumberGenerator(seed: 4)
        let start = Sequential<Double> {
            Dense<Double>(inputSize: 3, outputSize: 4, activation: .tanh, usesBias: false, generator: &generator)
            Dense<Double>(inputSize: 4, outputSize: 1, usesBias: false, generator: &generator)
        }
        let x = randomTensor([5, 3], seed: 5), y = randomTensor([5, 1], seed: 6)
        let lambda = 0.03
        var penalised = start, decayed = start
        var plain = SGD<Double>(learningRate: 0.1), decaying = SGD<Double>(learningRate: 0.1, weightDecay: 2 * lambda)
        for _ in 0..<3 {
            plain.update(&penalised, along: gradient(at: penalised) { meanSquaredError(predictions: $0(x), targets: y) + l2Penalty($0, strength: lambda) })
            decaying.update(&decayed, along: gradient(at: decayed) { meanSquaredError(predictions: $0(x), targets: y) })
        }
        for (a, b) in zip(penalised.parameters, decayed.parameters) {
            #expect(a.value.isApproximatelyEqual(to: b.value, absoluteTolerance: 1e-14, relativeTolerance: 1e-12), "\(a.name)")
        }
        #expect(penalised.parameters[0].value != start.parameters[0].value)
    }
}
