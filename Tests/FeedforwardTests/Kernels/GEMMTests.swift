import Foundation
import Testing
@testable import Feedforward

/// Element types the GEMM tests run for.
private protocol GEMMElement: BinaryFloatingPoint {
    static func gemm(_ backend: MatrixMultiplyBackend, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ alpha: Self, _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                     _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
}

extension Float: GEMMElement {
    static func gemm(_ backend: MatrixMultiplyBackend, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                     _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        matrixMultiply(backend, transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha,
                       a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

extension Double: GEMMElement {
    static func gemm(_ backend: MatrixMultiplyBackend, _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int,
                     _ alpha: Double, _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                     _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        matrixMultiply(backend, transposeA: ta, transposeB: tb, m: m, n: n, k: k, alpha: alpha,
                       a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }
}

/// Deterministic values in [-1, 1).
private struct LCG {
    var state: UInt64
    mutating func next() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) / Double(1 << 53) * 2 - 1
    }
}

/// Runs one product through `backend` and checks it against a Double triple loop, with padded leading
/// dimensions and operands that start one element into their buffers (unaligned rows); the padding of C
/// must stay untouched. Returns a description of the first failure, or nil.
private func checkProduct<T: GEMMElement>(
    _: T.Type, _ backend: MatrixMultiplyBackend, transposeA ta: Bool, transposeB tb: Bool,
    m: Int, n: Int, k: Int, alpha: T, beta: T, seed: UInt64
) -> String? {
    var rng = LCG(state: seed)
    let (aRows, aCols) = ta ? (k, m) : (m, k)
    let (bRows, bCols) = tb ? (n, k) : (k, n)
    let lda = aCols + 3, ldb = bCols + 2, ldc = n + 5
    let a = (0..<max(1, aRows * lda) + 1).map { _ in T(rng.next()) }
    let b = (0..<max(1, bRows * ldb) + 1).map { _ in T(rng.next()) }
    let sentinel = T(12345)
    var c = [T](repeating: sentinel, count: max(1, m * ldc))
    for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? T.nan : T(rng.next()) } }
    let c0 = c
    func opA(_ i: Int, _ p: Int) -> Double { Double(ta ? a[1 + p * lda + i] : a[1 + i * lda + p]) }
    func opB(_ p: Int, _ j: Int) -> Double { Double(tb ? b[1 + j * ldb + p] : b[1 + p * ldb + j]) }

    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                T.gemm(backend, ta, tb, m, n, k, alpha, pa.baseAddress! + 1, lda, pb.baseAddress! + 1, ldb, beta,
                       pc.baseAddress!, ldc)
            }
        }
    }
    let eps = Double(T.ulpOfOne)
    for i in 0..<m {
        for j in 0..<ldc {
            let got = c[i * ldc + j]
            if j >= n {
                if got != sentinel { return "padding of C changed at (\(i), \(j))" }
                continue
            }
            var sum = 0.0, magnitude = 0.0
            for p in 0..<k {
                let t = opA(i, p) * opB(p, j)
                sum += t
                magnitude += abs(t)
            }
            let old = beta == 0 ? 0 : Double(c0[i * ldc + j])
            let expected = Double(alpha) * sum + Double(beta) * old
            let bound = Double(k + 2) * eps * (abs(Double(alpha)) * magnitude + abs(Double(beta) * old)) * 2 + eps
            let error = abs(Double(got) - expected)
            if !(error <= bound) {
                return "\(T.self) \(backend) tA=\(ta) tB=\(tb) \(m)x\(n)x\(k) alpha=\(alpha) beta=\(beta): "
                    + "C[\(i), \(j)] = \(got), expected \(expected) (error \(error) > \(bound))"
            }
        }
    }
    return nil
}

/// (m, n, k) shapes: empty, single, odd, a panel boundary plus one, one long dimension, one big enough
/// for the built-in kernel to split across threads, and one whose K is cut into blocks that start at odd
/// offsets (the register-transposed packing of Bᵀ, its tail, and unaligned rows); then the AVX-512
/// tiles' edges (12 x 32 and 12 x 16): exact tiles with K one past a cache block, and one row and
/// column past them.
private let shapes: [(Int, Int, Int)] = [
    (0, 5, 3), (5, 0, 3), (5, 3, 0), (1, 1, 1), (1, 7, 17), (7, 1, 17), (17, 7, 1), (7, 17, 7),
    (17, 17, 129), (129, 7, 17), (13, 129, 5), (1000, 17, 33), (17, 1000, 3), (5, 9, 1000), (200, 190, 40),
    (40, 33, 605), (12, 32, 257), (24, 16, 9), (25, 65, 300), (13, 33, 31),
    // Split along N over two threads (N >= M, large enough to split): partial row panels, and two K
    // blocks in the second.
    (37, 300, 200), (100, 260, 520),
]

/// (alpha, beta) pairs: plain product, accumulate, general scaling.
private let scalings: [(Double, Double)] = [(1, 0), (1, 1), (-0.5, 0.75), (2, 0)]

private func runAll<T: GEMMElement>(_ type: T.Type, _ backend: MatrixMultiplyBackend) -> [String] {
    var failures: [String] = []
    var seed: UInt64 = 1
    for (m, n, k) in shapes {
        for ta in [false, true] {
            for tb in [false, true] {
                // One (alpha, beta) pair per case, rotating, keeps the debug-build run short.
                seed += 1
                let (alpha, beta) = scalings[Int(seed) % scalings.count]
                if let f = checkProduct(type, backend, transposeA: ta, transposeB: tb, m: m, n: n, k: k,
                                        alpha: T(alpha), beta: T(beta), seed: seed) {
                    failures.append(f)
                }
            }
        }
    }
    return failures
}

/// Float products with few columns (N = 1...17): the built-in kernel's narrow path on AVX2 (A x op(B)
/// with N <= 16 and Aᵀ·B with N <= 15, K >= 64) and the packed kernel just outside it (K = 63, N = 17,
/// Aᵀ·Bᵀ), with odd M and K for the masked tails, and products large enough to split across threads.
private func runNarrow(_ backend: MatrixMultiplyBackend) -> [String] {
    var failures: [String] = []
    var seed: UInt64 = 1000
    var cases = [(m: Int, n: Int, k: Int)]()
    for n in 1...17 {
        for (m, k) in [(1, 64), (7, 71), (13, 256), (6, 63), (16, 64), (37, 128)] { cases.append((m, n, k)) }
    }
    cases += [(600, 10, 256), (601, 7, 129), (1000, 10, 128)]
    for (m, n, k) in cases {
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            seed += 1
            let (alpha, beta) = scalings[Int(seed) % scalings.count]
            if let f = checkProduct(Float.self, backend, transposeA: ta, transposeB: tb, m: m, n: n, k: k,
                                    alpha: Float(alpha), beta: Float(beta), seed: seed) {
                failures.append(f)
            }
        }
    }
    return failures
}

/// Runs the narrow-product cases on 1 and 2 threads (changes the process-wide thread count).
private func narrowAtOneAndTwoThreads(_ backend: MatrixMultiplyBackend) -> [String] {
    var failures: [String] = []
    for threads in [1, 2] {
        ComputeEnvironment.threadCount = threads
        failures += runNarrow(backend).map { "\(threads) threads: \($0)" }
    }
    return failures
}

/// 0.75 * op(A) * op(B) + 0.5 * C (C all ones) on the built-in kernel, with `variant` forced.
private func builtinProduct<T: GEMMElement>(_ a: [T], _ b: [T], _ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int,
                                            _ variant: KernelVariant) -> [T] {
    ComputeEnvironment.forceKernelVariant(variant)
    var c = [T](repeating: 1, count: m * n)
    T.gemm(.builtin, ta, tb, m, n, k, T(0.75), a, ta ? m : k, b, tb ? k : n, T(0.5), &c, n)
    return c
}

/// Ends a child process: success when there are no failures, else the first ones on standard output.
private func exitReporting(_ failures: [String]) -> Never {
    if failures.isEmpty { exit(0) }
    print(failures.prefix(3).joined(separator: "\n"))
    exit(1)
}

/// Tests that change process-wide kernel settings (the thread count, the portable kernel) run in a
/// child process each, so tests running at the same time in this process (bit-for-bit determinism,
/// resuming) never compute with settings they did not choose.
@Suite struct GEMMSettingsTests {
    @Test func narrowProductsMatchNaiveOnTheBuiltinKernel() async {
        recordOutput(ofFailed: await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            exitReporting(narrowAtOneAndTwoThreads(.builtin))
        }, "child process")
    }

    @Test func narrowProductsMatchNaiveOnTheAutomaticBackend() async {
        recordOutput(ofFailed: await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            exitReporting(narrowAtOneAndTwoThreads(.automatic))
        }, "child process")
    }

    @Test func narrowProductsMatchNaiveThroughBLAS() async {
        recordOutput(ofFailed: await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            exitReporting(narrowAtOneAndTwoThreads(.blas))
        }, "child process")
    }

    /// Every kernel variant this CPU runs (forced one at a time), on 1 and 2 threads: all shapes, both
    /// element types, and the narrow products.
    @Test func everyKernelVariantMatchesNaive() async {
        recordOutput(ofFailed: await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            var failures: [String] = []
            for variant in KernelVariant.allCases where variant.isSupported {
                guard ComputeEnvironment.forceKernelVariant(variant), ComputeEnvironment.kernelVariant == variant else {
                    failures.append("could not force \(variant)")
                    continue
                }
                for threads in [1, 2] {
                    ComputeEnvironment.threadCount = threads
                    failures += (runAll(Float.self, .builtin) + runAll(Double.self, .builtin) + runNarrow(.builtin))
                        .map { "\(variant), \(threads) threads: \($0)" }
                }
            }
            exitReporting(failures)
        }, "child process")
    }

    /// The AVX2 kernel and the AVX-512 tile (compiled for AVX-512, and for AVX2) add the same products
    /// in the same order with fused multiply-adds and the same K blocks: the variant does not change bits.
    @Test func wideAndAVX2VariantsGiveTheSameBits() async {
        guard KernelVariant.avx2.isSupported else { return }
        recordOutput(ofFailed: await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            var failures: [String] = []
            for (m, n, k, ta, tb) in [(25, 65, 300, false, false), (200, 190, 600, true, true), (37, 70, 129, false, true),
                                      (130, 40, 257, true, false), (201, 10, 128, true, false)] {  // the last: narrow Aᵀ·B
                var rng = LCG(state: UInt64(m * n + k))
                let a = (0..<(m * k)).map { _ in Float(rng.next()) }, b = (0..<(k * n)).map { _ in Float(rng.next()) }
                let ad = a.map(Double.init), bd = b.map(Double.init)
                let wide = [KernelVariant.avx512, .avx512TileOnAVX2].filter(\.isSupported)
                for variant in wide {
                    if builtinProduct(a, b, ta, tb, m, n, k, .avx2) != builtinProduct(a, b, ta, tb, m, n, k, variant) {
                        failures.append("Float \(m)x\(n)x\(k): \(variant)")
                    }
                    if builtinProduct(ad, bd, ta, tb, m, n, k, .avx2) != builtinProduct(ad, bd, ta, tb, m, n, k, variant) {
                        failures.append("Double \(m)x\(n)x\(k): \(variant)")
                    }
                }
            }
            exitReporting(failures)
        }, "child process")
    }

    /// On one thread the automatic backend routes float Aᵀ·B products to the built-in kernel.
    @Test func automaticSingleThreadMatchesNaive() async {
        recordOutput(ofFailed: await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            ComputeEnvironment.threadCount = 1
            var failures = runAll(Float.self, .automatic)
            for (m, n, k) in [(256, 256, 128), (37, 33, 32), (200, 190, 40)] {
                if let f = checkProduct(Float.self, .automatic, transposeA: true, transposeB: false, m: m, n: n, k: k,
                                        alpha: 1, beta: 0.5, seed: UInt64(m)) {
                    failures.append(f)
                }
            }
            exitReporting(failures)
        }, "child process")
    }

    @Test func builtinSingleThreadMatchesNaive() async {
        recordOutput(ofFailed: await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            ComputeEnvironment.threadCount = 1
            exitReporting([checkProduct(Float.self, .builtin, transposeA: true, transposeB: true, m: 200, n: 190, k: 40,
                                        alpha: 1, beta: 0.5, seed: 99)].compactMap { $0 })
        }, "child process")
    }

    @Test func forcingAVariantSelectsItAndUnsupportedOnesAreRefused() async {
        recordOutput(ofFailed: await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            var failures: [String] = []
            let widest = KernelVariant.widestSupported
            if ComputeEnvironment.kernelVariant != widest { failures.append("default is not the widest, \(widest)") }
            for variant in KernelVariant.allCases {
                let accepted = ComputeEnvironment.forceKernelVariant(variant)
                if accepted != variant.isSupported { failures.append("forcing \(variant) gave \(accepted)") }
                let expected = accepted ? variant : widest
                if ComputeEnvironment.kernelVariant != expected { failures.append("after forcing \(variant): \(ComputeEnvironment.kernelVariant)") }
                ComputeEnvironment.forceKernelVariant(nil)
            }
            if ComputeEnvironment.kernelVariant != widest { failures.append("automatic choice not restored") }
            if !KernelVariant.portable.isSupported { failures.append("portable unsupported") }
            #if !arch(x86_64)
            if widest != .portable { failures.append("\(widest) detected off x86-64") }
            #endif
            exitReporting(failures)
        }, "child process")
    }

    @Test func threadCountDefaultsAndClamps() async {
        recordOutput(ofFailed: await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            var failures: [String] = []
            if ComputeEnvironment.threadCount < 1 { failures.append("default thread count \(ComputeEnvironment.threadCount)") }
            ComputeEnvironment.threadCount = 0
            if ComputeEnvironment.threadCount != 1 { failures.append("0 threads gave \(ComputeEnvironment.threadCount)") }
            ComputeEnvironment.threadCount = 2
            if ComputeEnvironment.threadCount != 2 { failures.append("2 threads gave \(ComputeEnvironment.threadCount)") }
            exitReporting(failures)
        }, "child process")
    }
}

@Suite struct GEMMTests {
    @Test(arguments: [MatrixMultiplyBackend.blas, .automatic])
    func blasMatchesNaive(backend: MatrixMultiplyBackend) {
        let f = runAll(Float.self, backend), d = runAll(Double.self, backend)
        #expect(f.isEmpty, "\(f.prefix(3))")
        #expect(d.isEmpty, "\(d.prefix(3))")
    }

    @Test func builtinMatchesNaive() {
        let f = runAll(Float.self, .builtin), d = runAll(Double.self, .builtin)
        #expect(f.isEmpty, "\(f.prefix(3))")
        #expect(d.isEmpty, "\(d.prefix(3))")
    }

    @Test func blasDisabledByEnvironment() {
        if let setting = ProcessInfo.processInfo.environment["FEEDFORWARD_BLAS"],
           ["none", "off", "0"].contains(setting.lowercased()) {
            #expect(ComputeEnvironment.blasLibrary == nil)
        }
    }

    @Test func parallelChunksCoverRangeOnce() {
        for count in [0, 1, 1000, (1 << 20) + 7] {
            let hits = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, count))
            hits.initialize(repeating: 0, count: max(1, count))
            defer { hits.deallocate() }
            parallelChunks(count: count) { range in
                for i in range { hits[i] &+= 1 }
            }
            #expect((0..<count).allSatisfy { hits[$0] == 1 })
        }
    }
}
