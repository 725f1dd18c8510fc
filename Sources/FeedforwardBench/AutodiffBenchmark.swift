import Feedforward
import Foundation

// `feedforward-bench autodiff`: costs of the autodiff machinery on the 784-256-256-10 ReLU MLP with
// the softmax cross-entropy loss on one batch of 128 (Float32, 2 threads), as the reference hvp.py:
//  - a gradient with respect to all six parameter tensors (valueWithGradient at the model);
//  - a Hessian-vector product, Hv = ∇_p(∇_p L · v), as the library computes it: reverse mode over
//    the forward-mode JVP (hessianVectorProduct(at: model, along:of:)); and, for comparison, reverse
//    over reverse (an inner valueWithGradient at the model nested in an outer one);
//  - the same step's matrix products alone (forward 3, dW 3, dX 2), the floor for a gradient, and
//    the 10 further products reverse over forward needs, the floor for an HVP;
//  - recording overhead per operation: a chain of tiny operations on 1-element tensors, with and
//    without an input that takes part in differentiation.
// Gradient, HVPs and the two sets of products are timed interleaved (15 rounds of one ~0.1 s sample
// each), so their ratios come from the same moments of a shared machine.

/// The matrix products a Hessian-vector product by reverse over forward needs beyond the gradient's
/// eight, for the MLP 784-256-256-10 at batch 128. Per layer the forward tangent `dz = dx·Wᵀ + x·dWᵀ`
/// (2 products), and in the reverse pass over it the gradients of those two products with respect to
/// W, dx and x (3 more; the reverse pass over `x·Wᵀ` is the gradient's own dW and dx products). The
/// first layer's input is data (no tangent, no input gradient), which leaves only `x·dWᵀ`; the second
/// layer's dx, the first ReLU layer's tangent, depends on no parameter (data, the direction and a
/// ReLU mask, whose derivative is zero), so its gradient is pruned: 1 + 4 + 5 products. Together with
/// the gradient's products, their time is the floor for an HVP at the speed of its GEMMs (the
/// library's HVP runs exactly these 18). (Reverse over reverse needs 14 further products: it also
/// computes the gradient.)
struct HessianVectorProductExtraProducts {
    private let products: [() -> Tensor<Float>]

    init(batch: Int = 128, sizes: [Int] = [784, 256, 256, 10]) {
        var generator = SeededRandomNumberGenerator(seed: 8)
        func random(_ shape: [Int]) -> Tensor<Float> {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &generator) })
        }
        var products: [() -> Tensor<Float>] = []
        for layer in 0..<(sizes.count - 1) {
            let (fanIn, fanOut) = (sizes[layer], sizes[layer + 1])
            let x = random([batch, fanIn]), w = random([fanOut, fanIn]), g = random([batch, fanOut])
            products.append { matmul(x, w, transposeB: true) }               // x·dWᵀ
            if layer > 0 {
                products.append { matmul(x, w, transposeB: true) }           // dx·Wᵀ
                products.append { matmul(g, x, transposeA: true) }           // ∇W of dx·Wᵀ: gᵀ·dx
                if layer > 1 { products.append { matmul(g, w) } }            // ∇dx of dx·Wᵀ: g·W
                products.append { matmul(g, w) }                             // ∇x of x·dWᵀ: g·dW
            }
        }
        self.products = products
    }

    /// The number of products (10 for the 784-256-256-10 MLP).
    var count: Int { products.count }

    /// Runs all the products once.
    func run() {
        for product in products { _ = product() }
    }
}

/// The benchmarks' 784-256-256-10 ReLU MLP with a softmax output, freshly initialised.
func mlpModel(generator: inout SeededRandomNumberGenerator) -> Sequential<Float> {
    NetworkSpecification(inputSize: 784, hiddenSizes: [256, 256], activation: .relu, output: .softmax, targetSize: 10)
        .makeModel(generator: &generator)
}

func mlpBatch() -> (features: Tensor<Float>, labels: [Int], source: String) {
    if let data = try? FashionMNIST.load() {
        let indices = Array(0..<128)
        return (SupervisedDataset(data.train).features.gatheringRows(indices), indices.map { Int(data.train.labels[$0]) },
                "Fashion-MNIST first 128")
    }
    var generator = SeededRandomNumberGenerator(seed: 3)
    let scalars = (0..<(128 * 784)).map { _ in Float.random(in: 0...1, using: &generator) }
    return (Tensor(shape: [128, 784], scalars: scalars), (0..<128).map { $0 % 10 }, "random")
}

func mlpGradients<S>(_ model: Sequential<S>, _ x: Tensor<S>, _ labels: [Int]) -> [Tensor<S>] {
    valueWithGradient(at: model) { crossEntropy(logits: $0(x), labels: labels) }.gradients.tensors
}

/// Hv = ∇_p(∇_p L · v): the library's model form of `hessianVectorProduct` (reverse over forward).
func mlpHessianVectorProduct<S>(_ model: Sequential<S>, _ x: Tensor<S>, _ labels: [Int], _ directions: [Tensor<S>]) -> [Tensor<S>] {
    let v = ParameterGradients(names: model.parameters.map(\.name), tensors: directions)
    return hessianVectorProduct(at: model, along: v) { crossEntropy(logits: $0(x), labels: labels) }.tensors
}

/// The same Hv by reverse over reverse: the gradient of `(∇_p L) · v`, with the gradient recorded.
func mlpHessianVectorProductReverseOverReverse(
    _ model: Sequential<Float>, _ x: Tensor<Float>, _ labels: [Int], _ directions: [Tensor<Float>]
) -> [Tensor<Float>] {
    gradient(at: model) { model -> Tensor<Float> in
        zip(mlpGradients(model, x, labels), directions).map { ($0 * $1).sum() }.reduce(Tensor(0), +)
    }.tensors
}

/// ‖Hv − (∇L(p + εv) − ∇L(p − εv)) / 2ε‖ / ‖the difference‖.
func hessianVectorProductError(_ model: Sequential<Double>, _ x: Tensor<Double>, _ labels: [Int], _ directions: [Tensor<Double>]) -> Double {
    let epsilon = 1e-7
    func shifted(_ step: Double) -> Sequential<Double> {
        var copy = model
        var index = 0
        copy.visitParameters { _, parameter in
            parameter = (parameter + directions[index] * step).detached()
            index += 1
        }
        return copy
    }
    let hv = mlpHessianVectorProduct(model, x, labels, directions)
    let (plus, minus) = (mlpGradients(shifted(epsilon), x, labels), mlpGradients(shifted(-epsilon), x, labels))
    var errorSquared = 0.0, normSquared = 0.0
    for i in hv.indices {
        let difference = (plus[i] - minus[i]) / (2 * epsilon)
        for (a, b) in zip(hv[i].scalars, difference.scalars) {
            errorSquared += (a - b) * (a - b)
            normSquared += b * b
        }
    }
    return (errorSquared / normSquared).squareRoot()
}

func runAutodiffBenchmark(chainLength: Int = 1000) -> [String: Any] {
    unsetenv("OPENBLAS_CORETYPE")
    unsetenv("OPENBLAS_L2_SIZE")
    ComputeEnvironment.threadCount = 2
    let (x, labels, source) = mlpBatch()
    var generator = SeededRandomNumberGenerator(seed: 0)
    let model = mlpModel(generator: &generator)
    let directions = model.parameters.map { parameter in
        Tensor<Float>(shape: parameter.value.shape,
                      scalars: (0..<parameter.value.scalarCount).map { _ in Float.random(in: -1...1, using: &generator) })
    }
    func gradients(_ model: Sequential<Float>) -> [Tensor<Float>] { mlpGradients(model, x, labels) }
    func hessianVectorProduct(_ model: Sequential<Float>) -> [Tensor<Float>] {
        mlpHessianVectorProduct(model, x, labels, directions)
    }

    let products = StepProducts()
    let extraProducts = HessianVectorProductExtraProducts()
    let medians = interleavedMedianSecondsPerCall([
        { _ = gradients(model) },
        { _ = hessianVectorProduct(model) },
        { _ = mlpHessianVectorProductReverseOverReverse(model, x, labels, directions) },
        { products.run() },
        { extraProducts.run() },
    ])
    let (gradientSeconds, hvpSeconds, reverseOverReverseSeconds) = (medians[0], medians[1], medians[2])
    let gemmSeconds = medians[3]
    let hvpGemmSeconds = gemmSeconds + medians[4]

    // Check, in Float64 as hvp.py: Hv against a central difference of gradients with a step small
    // enough not to cross a ReLU kink.
    let model64 = Sequential<Double>(model.layers.map { layer -> any Layer<Double> in
        let dense = layer as! Dense<Float>
        return Dense<Double>(weight: Tensor<Double>(dense.weight), bias: dense.bias.map { Tensor<Double>($0) },
                             activation: dense.activation)
    })
    let relativeError = hessianVectorProductError(model64, Tensor<Double>(x), labels, directions.map { Tensor<Double>($0) })

    // Recording overhead: `chainLength` multiplications of a 1-element tensor.
    let factor = Tensor<Float>([1.0001])
    func chain(_ start: Tensor<Float>) -> Tensor<Float> {
        var y = start
        for _ in 0..<chainLength { y = y * factor }
        return y
    }
    let plain = Tensor<Float>([1])
    let tracked = plain.requiringGradient()
    let untrackedOp = medianSecondsPerCall(samples: 15, sampleSeconds: 0.1) { _ = chain(plain) } / Double(chainLength)
    let trackedOp = medianSecondsPerCall(samples: 15, sampleSeconds: 0.1) { _ = chain(tracked) } / Double(chainLength)
    let withBackward = medianSecondsPerCall(samples: 15, sampleSeconds: 0.1) {
        _ = gradient(at: plain) { chain($0) }
    } / Double(chainLength)

    return [
        "bench": "autodiff_784-256-256-10_batch128", "lib": "feedforward", "version": FeedforwardLibrary.version,
        "data": source, "grad_ms": gradientSeconds * 1e3, "hvp_ms": hvpSeconds * 1e3,
        "ratio_hvp_to_grad": hvpSeconds / gradientSeconds, "hvp_rev_over_rev_ms": reverseOverReverseSeconds * 1e3,
        "ratio_rr_to_grad": reverseOverReverseSeconds / gradientSeconds, "gemm_step_ms": gemmSeconds * 1e3,
        "ratio_grad_to_gemms": gradientSeconds / gemmSeconds,
        "hvp_gemm_ms": hvpGemmSeconds * 1e3, "hvp_gemm_count": 8 + extraProducts.count,
        "ratio_hvp_to_its_gemms": hvpSeconds / hvpGemmSeconds, "gemm_floor_hvp_to_grad": hvpGemmSeconds / gemmSeconds,
        "relerr_hvp_vs_fd_f64": relativeError,
        "op_untracked_us": untrackedOp * 1e6, "op_tracked_us": trackedOp * 1e6,
        "recording_overhead_us_per_op": (trackedOp - untrackedOp) * 1e6,
        "op_forward_and_backward_us": withBackward * 1e6, "chain_length": chainLength,
        "environment": benchmarkEnvironment(),
    ]
}

/// Runs exactly `count` Hessian-vector products (or gradients) of the MLP and nothing else, for
/// profilers (perf, callgrind).
func autodiffProfileRun(count: Int, hessianVectorProducts: Bool) {
    ComputeEnvironment.threadCount = 2
    let (x, labels, _) = mlpBatch()
    var generator = SeededRandomNumberGenerator(seed: 0)
    let model = mlpModel(generator: &generator)
    let directions = model.parameters.map { Tensor<Float>.randomNormal(shape: $0.value.shape, using: &generator) }
    for _ in 0..<count {
        _ = hessianVectorProducts ? mlpHessianVectorProduct(model, x, labels, directions) : mlpGradients(model, x, labels)
    }
}

func autodiffBenchmark(_ arguments: [String]) {
    for (flag, isHVP) in [("--profile-hvp", true), ("--profile-gradient", false)] {
        if let index = arguments.firstIndex(of: flag), index + 1 < arguments.count, let count = Int(arguments[index + 1]) {
            autodiffProfileRun(count: count, hessianVectorProducts: isHVP)
            return
        }
    }
    let result = runAutodiffBenchmark()
    if arguments.contains("--json") {
        print(jsonString(result))
        return
    }
    func d(_ key: String) -> Double { result[key] as! Double }
    print("784-256-256-10 ReLU MLP, cross-entropy, batch 128 (\(result["data"]!)), Float32, 2 threads")
    print(String(format: "gradient %.3f ms; Hessian-vector product (reverse over forward) %.3f ms; HVP/gradient %.2fx",
                 d("grad_ms"), d("hvp_ms"), d("ratio_hvp_to_grad")))
    print(String(format: "  for comparison, reverse over reverse %.3f ms; its ratio to the gradient %.2fx",
                 d("hvp_rev_over_rev_ms"), d("ratio_rr_to_grad")))
    print(String(format: "the step's 8 GEMMs alone %.3f ms; gradient/GEMMs %.2fx", d("gemm_step_ms"), d("ratio_grad_to_gemms")))
    print(String(format: "the HVP's %d GEMMs alone %.3f ms; HVP/its GEMMs %.2fx; GEMM floor of HVP/gradient %.2fx",
                 result["hvp_gemm_count"] as! Int, d("hvp_gemm_ms"), d("ratio_hvp_to_its_gemms"), d("gemm_floor_hvp_to_grad")))
    print(String(format: "check: HVP vs central difference of gradients (Float64, eps 1e-7): relative error %.2e", d("relerr_hvp_vs_fd_f64")))
    print(String(format: "1-element multiply: untracked %.3f µs, tracked %.3f µs (recording overhead %.3f µs/op); with backward %.3f µs/op",
                 d("op_untracked_us"), d("op_tracked_us"), d("recording_overhead_us_per_op"), d("op_forward_and_backward_us")))
}

/// `feedforward-bench all`: each benchmark briefly, for a README table.
func allBenchmarks(_ arguments: [String]) {
    var rows: [(String, String)] = []
    do {
        let train = try runTrainBenchmark(epochs: 3, optimizerName: "sgd", compact: true, quiet: true)
        func d(_ key: String) -> Double { train[key] as! Double }
        rows.append(("train samples/s (median of epochs 2-3)", String(format: "%.0f", d("median_samples_per_s"))))
        rows.append(("train: fraction of the GEMM bound", String(format: "%.2f", d("fraction_of_gemm_bound"))))
        rows.append(("train peak RSS (MB)", String(format: "%.0f", d("peak_rss_mb"))))
        rows.append(("test accuracy after 3 epochs", String(format: "%.4f", d("test_acc"))))
    } catch {
        rows.append(("train", "skipped: \(error)"))
    }
    let xor = runXORBenchmark(sampleSeconds: 0.3)
    rows.append(("XOR 2-2-1 steps/s", String(format: "%.0f", xor["steps_per_s_median"] as! Double)))
    let autodiff = runAutodiffBenchmark()
    for (label, key, format) in [
        ("MLP gradient (ms)", "grad_ms", "%.3f"), ("MLP Hessian-vector product (ms)", "hvp_ms", "%.3f"),
        ("HVP / gradient", "ratio_hvp_to_grad", "%.2f"), ("HVP / gradient if both ran at GEMM speed", "gemm_floor_hvp_to_grad", "%.2f"),
        ("gradient / its GEMMs", "ratio_grad_to_gemms", "%.2f"), ("HVP / its GEMMs", "ratio_hvp_to_its_gemms", "%.2f"),
        ("recording overhead (µs/op)", "recording_overhead_us_per_op", "%.3f"),
    ] {
        rows.append((label, String(format: format, autodiff[key] as! Double)))
    }
    if arguments.contains("--json") {
        print(jsonString(Dictionary(uniqueKeysWithValues: rows.map { ($0.0, $0.1) })))
        return
    }
    print("| benchmark | Feedforward |\n|---|---|")
    for (label, value) in rows { print("| \(label) | \(value) |") }
}
