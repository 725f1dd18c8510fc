import Testing
@testable import Feedforward

extension Activation: CustomTestStringConvertible {
    public var testDescription: String { description }
}

@Suite("Layers: gradients") struct LayerGradientTests {
    /// A Dense layer 4 → 3 and a batch of 5 inputs whose pre-activations stay clear of every kink
    /// (0 and ±1) by more than 10⁻³, so finite differences never straddle one.
    func denseCase(_ activation: Activation) throws -> (Dense<Double>, Tensor<Double>) {
        let layer = Dense(weight: randomTensor([3, 4], seed: 11, standardDeviation: 0.7), bias: randomTensor([3], seed: 12), activation: activation)
        let x = randomTensor([5, 4], seed: 13)
        let z = matmul(x, layer.weight, transposeB: true) + layer.bias!
        try #require(distanceToKinks(z, [-1, 0, 1]) > 1e-3)
        return (layer, x)
    }

    static let smooth: [Activation] = [.identity, .sigmoid, .tanh, .arctan, .softplus, .cos, .gelu, .silu, .softmax, .elu(alpha: 1), .elu(alpha: 0.5)]
    static let piecewise: [Activation] = [.relu, .leakyReLU(slope: 0.01), .generalizedReLU(slope: 0.3), .generalizedReLU(slope: -1), .absoluteValue, .hardTanh]

    @Test(arguments: smooth)
    func denseWithSmoothUnitPassesFirstAndSecondOrderChecks(_ activation: Activation) throws {
        let (layer, x) = try denseCase(activation)
        expectLayerGradients(layer, input: x, secondOrder: true)
    }

    @Test(arguments: piecewise)
    func denseWithPiecewiseUnitPassesGradientCheckAwayFromKinks(_ activation: Activation) throws {
        let (layer, x) = try denseCase(activation)
        expectLayerGradients(layer, input: x)
    }

    @Test func denseComputesTheAffineMapWithPyTorchLayout() {
        // weight [out: 2, in: 3]
        let layer = Dense<Double>(weight: [[1, 2, 3], [-1, 0, 0.5]], bias: [0.5, -1], activation: .identity)
        let x: Tensor<Double> = [[1, 1, 1], [2, 0, -2]]
        #expect(layer(x).scalars == [6.5, -1.5, -3.5, -4])
        #expect(layer.inputSize == 3 && layer.outputSize == 2)
        let noBias = Dense<Double>(weight: [[1, 2, 3], [-1, 0, 0.5]])
        #expect(noBias(x).scalars == [6, -0.5, -4, -3])
        #expect(noBias.parameters.map(\.name) == ["weight"])
    }

    @Test func unitsMatchTheirDefinitions() {
        let z: Tensor<Double> = [-2, -0.5, 0.25, 3]
        func close(_ a: Tensor<Double>, _ b: [Double]) -> Bool { a.isApproximatelyEqual(to: Tensor(b), absoluteTolerance: 1e-12, relativeTolerance: 1e-12) }
        let v = z.scalars
        #expect(close(Activation.relu(z), v.map { Swift.max(0, $0) }))
        #expect(close(Activation.leakyReLU(slope: 0.1)(z), v.map { $0 > 0 ? $0 : 0.1 * $0 }))
        #expect(close(Activation.generalizedReLU(slope: -1)(z), v.map { Swift.abs($0) }))
        #expect(close(Activation.absoluteValue(z), v.map { Swift.abs($0) }))
        #expect(close(Activation.elu(alpha: 2)(z), v.map { $0 > 0 ? $0 : 2 * (Double.exp($0) - 1) }))
        #expect(close(Activation.hardTanh(z), v.map { Swift.min(1, Swift.max(-1, $0)) }))
        #expect(close(Activation.sigmoid(z), v.map { 1 / (1 + Double.exp(-$0)) }))
        #expect(close(Activation.tanh(z), v.map { Double.tanh($0) }))
        #expect(close(Activation.arctan(z), v.map { Double.atan($0) }))
        #expect(close(Activation.softplus(z), v.map { Double.log(1 + Double.exp($0)) }))
        #expect(close(Activation.cos(z), v.map { Double.cos($0) }))
        #expect(close(Activation.silu(z), v.map { $0 / (1 + Double.exp(-$0)) }))
        let c = (2 / Double.pi).squareRoot()
        #expect(close(Activation.gelu(z), v.map { 0.5 * $0 * (1 + Double.tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) }))
        #expect(close(Activation.step(z), [0, 0, 1, 1]))
        #expect(close(Activation.identity(z), v))
        let total = v.map { Double.exp($0) }.reduce(0, +)
        #expect(close(Activation.softmax(z.reshaped(to: [1, 4])).reshaped(to: [4]), v.map { Double.exp($0) / total }))
    }

    @Test func stepHasZeroGradient() throws {
        let (layer, x) = try denseCase(.step)
        let point = layerPoint(layer, input: x)
        let (value, gradients) = valueWithGradient(at: point) { layerFunction(layer)($0).sum() }
        #expect(value.scalar > 0)
        for g in gradients { #expect(g.scalars.allSatisfy { $0 == 0 }) }
        // Finite differences agree: the step is flat away from 0.
        expectLayerGradients(layer, input: x)
    }

    @Test func sequentialAndResidualPassChecks() {
        var generator = SeededRandomNumberGenerator(seed: 5)
        let model = Sequential<Double> {
            Dense<Double>(inputSize: 4, outputSize: 5, activation: .tanh, generator: &generator)
            Residual(Sequential<Double> {
                Dense<Double>(inputSize: 5, outputSize: 5, activation: .softplus, generator: &generator)
                Dense<Double>(inputSize: 5, outputSize: 5, generator: &generator)
            })
            ActivationLayer<Double>(.sigmoid)
            Dense<Double>(inputSize: 5, outputSize: 2, generator: &generator)
        }
        let x = randomTensor([3, 4], seed: 6)
        expectLayerGradients(model, input: x, secondOrder: true)
    }

    @Test func residualAddsItsInput() {
        let body = Dense<Double>(weight: [[1, 2], [3, 4]], bias: [0.5, -0.5])
        let residual = Residual(body)
        let x: Tensor<Double> = [[1, -1], [0.5, 2]]
        #expect(residual(x) == x + body(x))
        expectLayerGradients(Residual(Dense(weight: randomTensor([3, 3], seed: 1), bias: randomTensor([3], seed: 2), activation: .tanh)),
                             input: randomTensor([4, 3], seed: 3), secondOrder: true)
    }

    @Test func lowRankDenseFactorsItsWeight() {
        var generator = SeededRandomNumberGenerator(seed: 8)
        var layer = LowRankDense<Double>(inputSize: 5, outputSize: 4, rank: 2, activation: .tanh, generator: &generator)
        layer.bias = randomTensor([4], seed: 9)
        #expect(layer.down.shape == [2, 5] && layer.up.shape == [4, 2] && layer.parameterCount == 2 * 5 + 4 * 2 + 4)
        let x = randomTensor([3, 5], seed: 10)
        let dense = Dense(weight: matmul(layer.up, layer.down), bias: layer.bias, activation: .tanh)
        #expect(layer(x).isApproximatelyEqual(to: dense(x), absoluteTolerance: 1e-12))
        expectLayerGradients(layer, input: x, secondOrder: true)
    }

    @Test func sparseDenseRespectsItsMask() throws {
        var generator = SeededRandomNumberGenerator(seed: 21)
        var layer = SparseDense<Double>(inputSize: 6, outputSize: 4, density: 0.4, activation: .tanh, generator: &generator)
        let mask = layer.mask.scalars
        #expect(mask.allSatisfy { $0 == 0 || $0 == 1 })
        #expect(mask.contains(0) && mask.contains(1))
        for row in 0..<4 { #expect(mask[(row * 6)..<(row * 6 + 6)].contains(1), "every output keeps a connection") }
        #expect(zip(layer.weight.scalars, mask).allSatisfy { $1 == 1 || $0 == 0 }, "initial weights are masked")
        // Even with weights where the mask is 0, those connections have no effect and no gradient.
        layer.weight = randomTensor([4, 6], seed: 22)
        layer.bias = randomTensor([4], seed: 23)
        let x = randomTensor([3, 6], seed: 24)
        let masked = Dense(weight: layer.weight * layer.mask, bias: layer.bias, activation: .tanh)
        #expect(layer(x).isApproximatelyEqual(to: masked(x), absoluteTolerance: 1e-12))
        let gradients = gradient(at: layer) { ($0(x) * $0(x)).sum() }
        let weightGradient = try #require(gradients["weight"])
        for (g, m) in zip(weightGradient.scalars, mask) {
            if m == 0 { #expect(g == 0) }
        }
        #expect(zip(weightGradient.scalars, mask).contains { $1 == 1 && $0 != 0 })
        expectLayerGradients(layer, input: x, secondOrder: true)
    }

    @Test func maxoutTakesTheLargestPieceAndPassesTheCheck() throws {
        var generator = SeededRandomNumberGenerator(seed: 31)
        var layer = Maxout<Double>(inputSize: 3, outputSize: 2, pieces: 3, generator: &generator)
        layer.affine.bias = randomTensor([6], seed: 32)
        let x = randomTensor([4, 3], seed: 33)
        let z = layer.affine(x).scalars
        var expected: [Double] = []
        for group in stride(from: 0, to: z.count, by: 3) {
            let pieces = z[group..<(group + 3)].sorted(by: >)
            try #require(pieces[0] - pieces[1] > 1e-3, "no ties near the maximum")
            expected.append(pieces[0])
        }
        #expect(layer(x).shape == [4, 2] && layer(x).scalars == expected)
        #expect(layer.parameters.map(\.name) == ["weight", "bias"])
        expectLayerGradients(layer, input: x)
    }

    @Test func preluSlopeGradientIsTheSumOfNegativeParts() throws {
        var layer = PReLU<Double>(featureCount: 3)
        layer.slope = [0.25, -0.5, 1.5]
        let x: Tensor<Double> = [[1, -2, 0.5], [-1.5, 3, -0.25], [-0.75, -1, 2]]
        let v = x.scalars
        let s = layer.slope.scalars
        #expect(layer(x).scalars == v.enumerated().map { $1 > 0 ? $1 : s[$0 % 3] * $1 })
        // d/dα_j Σ PReLU(x) = Σ_i min(x_ij, 0)
        let g = try #require(gradient(at: layer) { $0(x).sum() }["slope"])
        #expect(g.scalars == [-2.25, -3, -0.25])
        expectLayerGradients(layer, input: x)
    }

    @Test func radialBasisMatchesItsDefinitionAndPassesChecks() {
        var generator = SeededRandomNumberGenerator(seed: 41)
        var layer = RadialBasis<Double>(inputSize: 3, unitCount: 4, generator: &generator)
        layer.logPrecision = randomTensor([4], seed: 42, standardDeviation: 0.3, mean: -1)
        let x = randomTensor([5, 3], seed: 43)
        let c = layer.centers.scalars
        let precision = layer.logPrecision.scalars.map { Double.exp($0) }
        var expected: [Double] = []
        for i in 0..<5 {
            for j in 0..<4 {
                let d2 = (0..<3).map { k in Double.pow(x.scalars[i * 3 + k] - c[j * 3 + k], 2) }.reduce(0, +)
                expected.append(Double.exp(-d2 * precision[j]))
            }
        }
        #expect(layer(x).isApproximatelyEqual(to: Tensor(shape: [5, 4], scalars: expected), absoluteTolerance: 1e-12))
        #expect(layer(layer.centers).scalars.enumerated().filter { $0.offset % 5 == 0 }.allSatisfy { Swift.abs($0.element - 1) < 1e-12 },
                "a unit is 1 at its centre")
        expectLayerGradients(layer, input: x, secondOrder: true)
    }

    @Test func modelGradientsMatchFiniteDifferencesOfParameters() throws {
        let model = smallResidualClassifier(seed: 51, residual: .sigmoid)
        let x = randomTensor([6, 3], seed: 52)
        let labels = [0, 2, 1, 1, 0, 2]
        let loss: (Sequential<Double>) -> Tensor<Double> = { crossEntropy(logits: $0(x), labels: labels) }
        let (value, gradients) = valueWithGradient(at: model, of: loss)
        #expect(Swift.abs(value.scalar - loss(model).scalar) < 1e-15)
        #expect(gradients.names == ["0.weight", "0.bias", "1.body.weight", "1.body.bias", "2.weight", "2.bias"])
        let h = 1e-6
        for (name, parameter) in model.parameters {
            let analytic = try #require(gradients[name])
            #expect(analytic.shape == parameter.shape)
            for i in 0..<parameter.scalarCount {
                func perturbed(_ delta: Double) -> Double {
                    var copy = model
                    copy.visitParameters { n, p in if n == name { p.withUnsafeMutableBufferPointer { $0[i] += delta } } }
                    return loss(copy).scalar
                }
                let numeric = (perturbed(h) - perturbed(-h)) / (2 * h)
                #expect(Swift.abs(analytic.scalars[i] - numeric) < 1e-7, "\(name)[\(i)]: \(analytic.scalars[i]) vs \(numeric)")
            }
        }
    }
}
