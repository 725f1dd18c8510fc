import Foundation
import Feedforward

/// Times an element-wise float loop (add, and exp) on one thread and split in two halves with
/// DispatchQueue.concurrentPerform, over sizes from 16 Ki to 16 Mi elements, to locate where
/// splitting starts to pay (the threshold of parallelChunks); then an SGD-with-momentum step (the C
/// kernel, which splits itself over the built-in kernels' pool) with 1 and 2 threads, from 16 Ki to 4 Mi
/// parameters (FF_OPTIMIZER_MIN_PER_THREAD in elementwise.c).
func parallelBenchmark(_ arguments: [String]) {
    let asJSON = arguments.contains("--json")
    var rows: [[String: Any]] = []
    if !asJSON { print("elements     add 1thr   add 2thr    exp 1thr   exp 2thr   (microseconds, median)") }
    var count = 1 << 14
    while count <= 1 << 24 {
        let x = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let y = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let z = UnsafeMutablePointer<Float>.allocate(capacity: count)
        for i in 0..<count { x[i] = Float(i % 100) * 0.01; y[i] = 1 }
        let n = count
        func add(_ r: Range<Int>) { for i in r { z[i] = x[i] + y[i] } }
        func ex(_ r: Range<Int>) { for i in r { z[i] = Foundation.exp(x[i]) } }
        func split(_ body: (Range<Int>) -> Void) {
            withoutActuallyEscaping(body) { escapable in
                nonisolated(unsafe) let body = escapable
                DispatchQueue.concurrentPerform(iterations: 2) { t in body(n * t / 2..<n * (t + 1) / 2) }
            }
        }
        let a1 = medianSecondsPerCall(sampleSeconds: 0.02) { add(0..<n) }
        let a2 = medianSecondsPerCall(sampleSeconds: 0.02) { split(add) }
        let e1 = medianSecondsPerCall(sampleSeconds: 0.02) { ex(0..<n) }
        let e2 = medianSecondsPerCall(sampleSeconds: 0.02) { split(ex) }
        rows.append(["elements": count, "add1": a1 * 1e6, "add2": a2 * 1e6, "exp1": e1 * 1e6, "exp2": e2 * 1e6])
        if !asJSON {
            print(String(format: "%9d %10.1f %10.1f  %10.1f %10.1f", count, a1 * 1e6, a2 * 1e6, e1 * 1e6, e2 * 1e6))
        }
        x.deallocate(); y.deallocate(); z.deallocate()
        count *= 4
    }
    if !asJSON { print("elements  momentum 1thr  momentum 2thr   (microseconds, median)") }
    var optimizerRows: [[String: Any]] = []
    let rule = OptimizerRule.sgd(learningRate: 0.05, momentum: 0.9, nesterov: false, weightDecay: 0)
    let savedThreads = ComputeEnvironment.threadCount
    count = 1 << 14
    while count <= 1 << 22 {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let g = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: count)
        for i in 0..<count { p[i] = Float(i % 100) * 0.01; g[i] = 1e-3; m[i] = 0 }
        var seconds: [Int: Double] = [:]
        for threads in [1, 2] {
            ComputeEnvironment.threadCount = threads
            seconds[threads] = medianSecondsPerCall(sampleSeconds: 0.02) {
                Float._optimizerStep(rule, parameter: p, gradient: g, firstMoment: m, secondMoment: nil, count: count)
            }
        }
        optimizerRows.append(["elements": count, "momentum1": seconds[1]! * 1e6, "momentum2": seconds[2]! * 1e6])
        if !asJSON { print(String(format: "%9d %14.1f %14.1f", count, seconds[1]! * 1e6, seconds[2]! * 1e6)) }
        p.deallocate(); g.deallocate(); m.deallocate()
        count *= 2
    }
    ComputeEnvironment.threadCount = savedThreads
    if asJSON { print(jsonString(["unit": "microseconds", "rows": rows, "optimizer_rows": optimizerRows])) }
}
