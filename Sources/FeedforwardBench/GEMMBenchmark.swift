import Foundation
import Feedforward

/// A product C (m x n) = op(A) (m x k) . op(B) (k x n); the names match benchmarks/gemm_numpy.py.
struct GEMMShape {
    let name: String
    let m: Int, k: Int, n: Int
    let transposeA: Bool, transposeB: Bool
}

/// Square products, then the 784-256-256-10 MLP at batch 128: forward products and, per layer,
/// the weight gradient Xᵀ·dY and the input gradient dY·Wᵀ.
let gemmShapes: [GEMMShape] = [
    GEMMShape(name: "square 256", m: 256, k: 256, n: 256, transposeA: false, transposeB: false),
    GEMMShape(name: "square 512", m: 512, k: 512, n: 512, transposeA: false, transposeB: false),
    GEMMShape(name: "square 1024", m: 1024, k: 1024, n: 1024, transposeA: false, transposeB: false),
    GEMMShape(name: "fwd 128x784.784x256", m: 128, k: 784, n: 256, transposeA: false, transposeB: false),
    GEMMShape(name: "fwd 128x256.256x256", m: 128, k: 256, n: 256, transposeA: false, transposeB: false),
    GEMMShape(name: "fwd 128x256.256x10", m: 128, k: 256, n: 10, transposeA: false, transposeB: false),
    GEMMShape(name: "dW XT.dY 784x128.128x256", m: 784, k: 128, n: 256, transposeA: true, transposeB: false),
    GEMMShape(name: "dX dY.WT 128x256.256x784", m: 128, k: 256, n: 784, transposeA: false, transposeB: true),
    GEMMShape(name: "dW XT.dY 256x128.128x256", m: 256, k: 128, n: 256, transposeA: true, transposeB: false),
    GEMMShape(name: "dX dY.WT 128x256.256x256", m: 128, k: 256, n: 256, transposeA: false, transposeB: true),
    GEMMShape(name: "dW XT.dY 256x128.128x10", m: 256, k: 128, n: 10, transposeA: true, transposeB: false),
    GEMMShape(name: "dX dY.WT 128x10.10x256", m: 128, k: 10, n: 256, transposeA: false, transposeB: true),
]

/// GFLOP/s of one shape on one backend (median of `samples` samples of >= `sampleSeconds`).
func gemmRate(_ shape: GEMMShape, _ backend: MatrixMultiplyBackend, samples: Int = 9, sampleSeconds: Double = 0.03) -> Double {
    let (m, n, k) = (shape.m, shape.n, shape.k)
    let lda = shape.transposeA ? m : k, ldb = shape.transposeB ? k : n
    let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
    let b = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
    defer { a.deallocate(); b.deallocate(); c.deallocate() }
    for i in 0..<(m * k) { a[i] = Float(i % 13) * 0.25 - 1.5 }
    for i in 0..<(k * n) { b[i] = Float(i % 7) * 0.5 - 1.5 }
    let seconds = medianSecondsPerCall(samples: samples, sampleSeconds: sampleSeconds) {
        matrixMultiply(backend, transposeA: shape.transposeA, transposeB: shape.transposeB, m: m, n: n, k: k,
                       a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: n)
    }
    return 2.0 * Double(m * n * k) / seconds / 1e9
}

let gemmBackends: [(String, MatrixMultiplyBackend)] = [("blas", .blas), ("builtin", .builtin), ("auto", .automatic)]

/// `gemm --serve`: measures one product per request, for benchmarks/compare_gemm.py to interleave
/// with NumPy's measurements of the same shape. Each stdin line `BACKEND THREADS SHAPE_INDEX [SAMPLES]`
/// (SHAPE_INDEX into `gemmShapes`) is answered by one line of GFLOP/s, the median of SAMPLES (default 9)
/// samples of >= 50 ms, as NumPy's side takes them; the line `library` by the run-time BLAS library's name,
/// the line `configuration` by ``ComputeConfiguration/summary`` (CPU, kernel, BLAS and core, route).
func serveGEMMRates() {
    func answer(_ text: String) {
        print(text)
        fflush(nil)  // the requester waits for each line
    }
    while let line = readLine() {
        if line == "library" {
            answer(ComputeEnvironment.blasLibrary ?? "none")
            continue
        }
        if line == "configuration" {
            answer(ComputeEnvironment.configuration.summary)
            continue
        }
        let fields = line.split(separator: " ").map(String.init)
        let samples = fields.count == 4 ? Int(fields[3]) : 9
        guard fields.count == 3 || fields.count == 4, let backend = gemmBackends.first(where: { $0.0 == fields[0] })?.1,
              let threads = Int(fields[1]), threads > 0, let index = Int(fields[2]), gemmShapes.indices.contains(index),
              let samples, samples > 0
        else {
            answer("error: expected 'blas|builtin|auto THREADS SHAPE_INDEX [SAMPLES]', got '\(line)'")
            continue
        }
        ComputeEnvironment.threadCount = threads
        answer(String(format: "%.3f", gemmRate(gemmShapes[index], backend, samples: samples, sampleSeconds: 0.05)))
    }
}

/// Seconds of the calling thread's CPU time: single-thread products timed by it are not charged for
/// the time other processes hold the core, which on a shared machine dominates wall-clock figures.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// `gemm --variants`: one thread, the run-time BLAS and every built-in kernel variant this CPU runs,
/// each product timed by thread CPU time, interleaved over `rounds` rounds; prints the best rate of each.
func gemmVariantsBenchmark(rounds: Int = 5) {
    ComputeEnvironment.threadCount = 1
    let variants = KernelVariant.allCases.filter { $0.isSupported && $0 != .avx512TileOnAVX2 }
    print("SGEMM GFLOP/s on 1 thread by thread CPU time, best of \(rounds) interleaved rounds")
    print("shape".padding(toLength: 28, withPad: " ", startingAt: 0) + "blas".leftPadded(9)
          + variants.map { $0.rawValue.leftPadded(10) }.joined())
    for shape in gemmShapes {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        let lda = shape.transposeA ? m : k, ldb = shape.transposeB ? k : n
        let a = (0..<(m * k)).map { Float($0 % 13) * 0.25 - 1.5 }, b = (0..<(k * n)).map { Float($0 % 7) * 0.5 - 1.5 }
        var c = [Float](repeating: 0, count: m * n)
        let sides: [(MatrixMultiplyBackend, KernelVariant?)] = [(.blas, nil)] + variants.map { (.builtin, $0) }
        var best = [Double](repeating: .infinity, count: sides.count)
        for _ in 0..<rounds {
            for (index, (backend, variant)) in sides.enumerated() {
                ComputeEnvironment.forceKernelVariant(variant)
                var calls = 0
                let start = threadCPUSeconds()
                repeat {
                    matrixMultiply(backend, transposeA: shape.transposeA, transposeB: shape.transposeB, m: m, n: n, k: k,
                                   a: a, lda: lda, b: b, ldb: ldb, c: &c, ldc: n)
                    calls += 1
                } while threadCPUSeconds() - start < 0.02
                best[index] = min(best[index], (threadCPUSeconds() - start) / Double(calls))
            }
        }
        ComputeEnvironment.forceKernelVariant(nil)
        let rates = best.map { 2.0 * Double(m * n * k) / $0 / 1e9 }
        print(shape.name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%9.1f", rates[0])
              + rates.dropFirst().map { String(format: "%10.1f", $0) }.joined())
    }
}

func gemmBenchmark(_ arguments: [String]) {
    let asJSON = arguments.contains("--json")
    // These make OpenBLAS pick a slower kernel on some machines; BLAS is loaded lazily, so unsetting
    // them here (before the first product) applies to it. The NumPy script does the same.
    unsetenv("OPENBLAS_CORETYPE")
    unsetenv("OPENBLAS_L2_SIZE")
    if arguments.contains("--serve") {
        serveGEMMRates()
        return
    }
    if arguments.contains("--variants") {
        gemmVariantsBenchmark()
        return
    }
    let threadCounts = [1, 2]
    let backends = gemmBackends
    let library = ComputeEnvironment.blasLibrary
    let saved = ComputeEnvironment.threadCount
    var results: [String: [String: [String: Double]]] = [:]  // backend -> threads -> shape -> GFLOP/s
    if !asJSON {
        print("SGEMM GFLOP/s, median of 9")
        var header = "shape".padding(toLength: 28, withPad: " ", startingAt: 0)
        for (name, _) in backends { for t in threadCounts { header += "\(name)-\(t)".leftPadded(11) } }
        print(header)
    }
    for shape in gemmShapes {
        var line = shape.name.padding(toLength: 28, withPad: " ", startingAt: 0)
        for (name, backend) in backends {
            for t in threadCounts {
                ComputeEnvironment.threadCount = t
                let rate = gemmRate(shape, backend)
                results[name, default: [:]]["\(t)", default: [:]][shape.name] = rate
                line += String(format: "%11.1f", rate)
            }
        }
        if !asJSON { print(line) }
    }
    ComputeEnvironment.threadCount = saved
    if asJSON {
        print(jsonString(["library": library ?? "none", "unit": "GFLOP/s", "environment": benchmarkEnvironment(),
                          "results": results] as [String: Any]))
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
