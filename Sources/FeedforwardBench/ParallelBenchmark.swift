import Foundation
import Feedforward

/// Times an element-wise float loop (add, and exp) on one thread and split in two halves with
/// DispatchQueue.concurrentPerform, over sizes from 16 Ki to 16 Mi elements, to locate where
/// splitting starts to pay (the threshold of parallelChunks).
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
    if asJSON { print(jsonString(["unit": "microseconds", "rows": rows])) }
}
