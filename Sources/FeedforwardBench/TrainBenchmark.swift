import Feedforward
import Foundation

// `feedforward-bench train`: the protocol of the reference torch_mlp.py. Fashion-MNIST, 784-256-256-10
// ReLU MLP, batch 128 with the last partial batch dropped (468 steps = 59904 samples per epoch),
// reshuffled each epoch, SGD momentum 0.9 lr 0.05 (or Adam lr 1e-3), Float32, 2 threads. Epoch time is
// the wall time of the training steps including the batch gather; evaluation is excluded. Throughput is
// the median over epochs 2..N; test accuracy is measured once at the end.

/// Peak and current resident memory of this process in MB (VmHWM and VmRSS of /proc/self/status).
func residentMemoryMB() -> (current: Double, peak: Double) {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    var current = 0.0, peak = 0.0
    for line in text.split(separator: "\n") {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 2, let kB = Double(fields[1]) else { continue }
        if fields[0] == "VmHWM:" { peak = kB / 1024 }
        if fields[0] == "VmRSS:" { current = kB / 1024 }
    }
    return (current, peak)
}

/// The products of one training step of the 784-256-256-10 MLP at batch 128, as the library's Dense
/// layers issue them (weights stored [out, in]): forward X·Wᵀ (3), backward dW = dYᵀ·X (3) and
/// dX = dY·W (2; the first layer's input needs no gradient).
struct StepProducts {
    let forward: [(Tensor<Float>, Tensor<Float>)]
    let weightGradients: [(Tensor<Float>, Tensor<Float>)]
    let inputGradients: [(Tensor<Float>, Tensor<Float>)]

    init(batch: Int = 128, sizes: [Int] = [784, 256, 256, 10]) {
        var generator = SeededRandomNumberGenerator(seed: 7)
        func random(_ shape: [Int]) -> Tensor<Float> {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &generator) })
        }
        var forward: [(Tensor<Float>, Tensor<Float>)] = []
        var weightGradients: [(Tensor<Float>, Tensor<Float>)] = []
        var inputGradients: [(Tensor<Float>, Tensor<Float>)] = []
        for layer in 0..<(sizes.count - 1) {
            let (fanIn, fanOut) = (sizes[layer], sizes[layer + 1])
            let x = random([batch, fanIn]), w = random([fanOut, fanIn]), dy = random([batch, fanOut])
            forward.append((x, w))
            weightGradients.append((dy, x))
            if layer > 0 { inputGradients.append((dy, w)) }
        }
        self.forward = forward
        self.weightGradients = weightGradients
        self.inputGradients = inputGradients
    }

    /// Runs the eight products once (no tensor takes part in differentiation, nothing is recorded).
    func run() {
        for (x, w) in forward { _ = matmul(x, w, transposeB: true) }
        for (dy, x) in weightGradients { _ = matmul(dy, x, transposeA: true) }
        for (dy, w) in inputGradients { _ = matmul(dy, w) }
    }

    /// Floating-point operations of one step's products.
    var flops: Double {
        var total = 0.0
        for (x, w) in forward { total += 2 * Double(x.shape[0] * x.shape[1] * w.shape[0]) }
        for (dy, x) in weightGradients { total += 2 * Double(dy.shape[0] * dy.shape[1] * x.shape[1]) }
        for (dy, w) in inputGradients { total += 2 * Double(dy.shape[0] * dy.shape[1] * w.shape[1]) }
        return total
    }

    /// Median seconds of one step's products.
    func seconds() -> Double { medianSecondsPerCall(samples: 15, sampleSeconds: 0.05) { run() } }
}

/// Fashion-MNIST either as the library loads it (Float32 tensors, as the PyTorch script holds it) or
/// as the raw bytes of the IDX files, converted to Float32 one batch at a time.
struct BenchmarkData {
    enum Pixels {
        case floats(Tensor<Float>)
        case bytes([UInt8])
    }
    let train: Pixels, trainLabels: [Int]
    let test: Pixels, testLabels: [Int]
    static let width = 784

    static func load(compact: Bool) throws -> BenchmarkData {
        if !compact {
            let data = try FashionMNIST.load()
            let train = SupervisedDataset(data.train), test = SupervisedDataset(data.test)
            return BenchmarkData(
                train: .floats(train.features), trainLabels: data.train.labels.map(Int.init),
                test: .floats(test.features), testLabels: data.test.labels.map(Int.init))
        }
        guard let directory = FashionMNIST.defaultDirectory() else {
            throw DataError(.io, path: FashionMNIST.systemDirectory.path, "Fashion-MNIST not found")
        }
        func read(_ name: String) throws -> IDXArray {
            let plain = directory.appendingPathComponent(name)
            let url = FileManager.default.fileExists(atPath: plain.path) ? plain : plain.appendingPathExtension("gz")
            return try IDX.read(contentsOf: url)
        }
        func bytes(_ array: IDXArray) -> [UInt8] {
            guard case .uint8(let values) = array.values else { preconditionFailure("images must be bytes") }
            return values
        }
        let trainImages = bytes(try read("train-images-idx3-ubyte"))
        let testImages = bytes(try read("t10k-images-idx3-ubyte"))
        return BenchmarkData(
            train: .bytes(trainImages), trainLabels: try read("train-labels-idx1-ubyte").integers() ?? [],
            test: .bytes(testImages), testLabels: try read("t10k-labels-idx1-ubyte").integers() ?? [])
    }

    static func rows(_ pixels: Pixels, _ indices: [Int]) -> Tensor<Float> {
        switch pixels {
        case .floats(let features): return features.gatheringRows(indices)
        case .bytes(let bytes):
            var scalars = [Float](repeating: 0, count: indices.count * width)
            scalars.withUnsafeMutableBufferPointer { out in
                bytes.withUnsafeBufferPointer { source in
                    for (row, index) in indices.enumerated() {
                        let from = index * width, to = row * width
                        for j in 0..<width { out[to + j] = Float(source[from + j]) * (1 / 255) }
                    }
                }
            }
            return Tensor(shape: [indices.count, width], scalars: scalars)
        }
    }
}

/// What one benchmark training run measured.
struct TrainingRun {
    var epochSeconds: [Double] = []
    var losses: [Double] = []
    var stepsPerEpoch = 0
    var testAccuracy = Double.nan
    var rssAfterSetup = 0.0

    /// Records one epoch and, unless `quiet`, prints its line.
    mutating func record(epoch: Int, seconds: Double, loss: Double, batchSize: Int, quiet: Bool) {
        epochSeconds.append(seconds)
        losses.append(loss)
        if !quiet {
            print(String(format: "epoch %3d time %7.3fs  %9.0f samples/s  train_loss %.4f",
                         epoch, seconds, Double(stepsPerEpoch * batchSize) / seconds, loss))
        }
    }
}

/// Trains through the library's own loop, `TrainingSession` (with the last partial batch dropped),
/// on Fashion-MNIST as `FashionMNIST.load()` gives it (pixels kept as bytes until a batch is read).
func sessionTraining(
    epochs: Int, optimizerName: String, seed: UInt64, quiet: Bool, specification: NetworkSpecification
) throws -> TrainingRun {
    let images = try FashionMNIST.load()
    let train = SupervisedDataset(images.train), test = SupervisedDataset(images.test)
    var run = TrainingRun(rssAfterSetup: residentMemoryMB().current)
    var options = TrainingOptions()
    options.epochs = epochs
    options.batchSize = 128
    options.dropsLastPartialBatch = true
    options.seed = seed
    options.optimizer = optimizerName == "adam" ? .adam : .momentum
    options.learningRate = optimizerName == "adam" ? 1e-3 : 0.05
    var session = TrainingSession(specification: specification, options: options)
    run.stepsPerEpoch = train.count / options.batchSize
    while !session.isFinished {
        let record = try session.trainEpoch(on: train)
        run.record(epoch: record.epoch, seconds: record.seconds, loss: record.trainLoss, batchSize: options.batchSize, quiet: quiet)
    }
    run.testAccuracy = session.evaluate(on: test).classification?.accuracy ?? .nan
    return run
}

func runTrainBenchmark(
    epochs: Int, optimizerName: String, compact: Bool, session: Bool = false, seed: UInt64 = 0, quiet: Bool
) throws -> [String: Any] {
    unsetenv("OPENBLAS_CORETYPE")
    unsetenv("OPENBLAS_L2_SIZE")
    ComputeEnvironment.threadCount = 2
    let batchSize = 128
    let specification = NetworkSpecification(
        inputSize: 784, hiddenSizes: [256, 256], activation: .relu, output: .softmax, targetSize: 10)
    let run = session
        ? try sessionTraining(epochs: epochs, optimizerName: optimizerName, seed: seed, quiet: quiet, specification: specification)
        : stepTraining(
            data: try BenchmarkData.load(compact: compact), epochs: epochs, optimizerName: optimizerName, seed: seed,
            quiet: quiet, specification: specification)
    let (times, losses, steps) = (run.epochSeconds, run.losses, run.stepsPerEpoch)
    let steady = times.count > 1 ? Array(times.dropFirst()) : times
    let medianEpoch = steady.sorted()[steady.count / 2]
    let peak = residentMemoryMB().peak

    // The step's matrix products alone, on the same shapes and threads.
    let products = StepProducts(batch: batchSize)
    let gemmSeconds = products.seconds()
    let stepSeconds = medianEpoch / Double(steps)
    return [
        "lib": "feedforward", "version": FeedforwardLibrary.version, "opt": optimizerName, "hidden": 256, "threads": 2,
        "epochs": epochs,
        "data": session ? "TrainingSession, FashionMNIST.load() (uint8 pixels)"
            : compact ? "uint8 pixels, converted per batch" : "Float32 tensors (FashionMNIST.load)",
        "samples_per_epoch": steps * batchSize, "median_epoch_s": medianEpoch, "first_epoch_s": times[0],
        "median_samples_per_s": Double(steps * batchSize) / medianEpoch, "test_acc": run.testAccuracy,
        "final_train_loss": losses.last!, "rss_after_setup_mb": run.rssAfterSetup, "peak_rss_mb": peak,
        "n_epochs_in_median": steady.count, "blas": ComputeEnvironment.blasLibrary ?? "none",
        "environment": benchmarkEnvironment(),
        "step_ms": stepSeconds * 1e3, "gemm_step_ms": gemmSeconds * 1e3,
        "gemm_gflops": products.flops / gemmSeconds / 1e9,
        "gemm_bound_samples_per_s": Double(batchSize) / gemmSeconds,
        "fraction_of_gemm_bound": gemmSeconds / stepSeconds,
    ]
}

/// Trains with `valueWithGradient(at: model)` and `Optimizer.update` called directly, the protocol
/// of the reference script step for step.
func stepTraining(
    data: BenchmarkData, epochs: Int, optimizerName: String, seed: UInt64, quiet: Bool,
    specification: NetworkSpecification
) -> TrainingRun {
    let batchSize = 128
    var run = TrainingRun(rssAfterSetup: residentMemoryMB().current)
    var generator = SeededRandomNumberGenerator(seed: seed)
    var model = specification.makeModel(generator: &generator)
    var optimizer: any Optimizer<Float> = optimizerName == "adam"
        ? OptimizerChoice.adam.makeOptimizer(learningRate: 1e-3)
        : OptimizerChoice.momentum.makeOptimizer(learningRate: 0.05)
    let trainIndices = Array(0..<data.trainLabels.count)
    run.stepsPerEpoch = trainIndices.count / batchSize
    for epoch in 1...epochs {
        let batches = Minibatching.shuffledBatches(of: trainIndices, batchSize: batchSize, dropLast: true, using: &generator)
        let start = now()
        var lossSum = 0.0
        for batch in batches {
            let features = BenchmarkData.rows(data.train, batch)
            let labels = batch.map { data.trainLabels[$0] }
            let (loss, gradients) = valueWithGradient(at: model) { model in
                crossEntropy(logits: model(features), labels: labels)
            }
            optimizer.update(&model, along: gradients)
            lossSum += Double(loss.scalar)
        }
        run.record(epoch: epoch, seconds: now() - start, loss: lossSum / Double(batches.count), batchSize: batchSize, quiet: quiet)
    }
    run.testAccuracy = withoutGradients { () -> Double in
        var correct = 0.0
        for range in Minibatching.batchRanges(count: data.testLabels.count, batchSize: 1000) {
            let indices = Array(range)
            let logits = model(BenchmarkData.rows(data.test, indices))
            correct += accuracy(logits: logits, labels: indices.map { data.testLabels[$0] }) * Double(indices.count)
        }
        return correct / Double(data.testLabels.count)
    }
    return run
}

func trainBenchmark(_ arguments: [String]) {
    var epochs = 5
    var optimizerName = "sgd"
    var compact = false
    var session = false
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--epochs": index += 1; epochs = max(1, Int(arguments[index]) ?? 5)
        case "--optimizer": index += 1; optimizerName = arguments[index]
        case "--compact-data": compact = true
        case "--session": session = true
        case "--json": break
        default: print("unknown option \(arguments[index])"); exit(2)
        }
        index += 1
    }
    guard ["sgd", "adam"].contains(optimizerName) else { print("--optimizer must be sgd or adam"); exit(2) }
    let asJSON = arguments.contains("--json")
    do {
        let result = try runTrainBenchmark(
            epochs: epochs, optimizerName: optimizerName, compact: compact, session: session, quiet: asJSON)
        if asJSON {
            print(jsonString(result))
        } else {
            printTrainSummary(result)
        }
    } catch {
        print("train: \(error)")
        exit(1)
    }
}

func printTrainSummary(_ r: [String: Any]) {
    func d(_ key: String) -> Double { r[key] as? Double ?? .nan }
    print(String(format: "median epoch %.3f s (epochs 2..%d): %.0f samples/s; test accuracy %.4f; peak RSS %.0f MB (after data %.0f MB)",
                 d("median_epoch_s"), r["epochs"] as! Int, d("median_samples_per_s"), d("test_acc"), d("peak_rss_mb"),
                 d("rss_after_setup_mb")))
    print(String(format: "step %.3f ms; its 8 GEMMs alone %.3f ms (%.1f GFLOP/s) -> GEMM bound %.0f samples/s; training reaches %.0f%% of it",
                 d("step_ms"), d("gemm_step_ms"), d("gemm_gflops"), d("gemm_bound_samples_per_s"), 100 * d("fraction_of_gemm_bound")))
}
