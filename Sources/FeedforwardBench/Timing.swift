import Foundation

/// Seconds on a monotonic clock.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Runs `body` in samples of at least `sampleSeconds` each and returns the median seconds per call.
func medianSecondsPerCall(samples: Int = 9, sampleSeconds: Double = 0.03, _ body: () -> Void) -> Double {
    body(); body()
    let t0 = now()
    body()
    let once = max(now() - t0, 1e-7)
    let reps = max(1, Int(sampleSeconds / once))
    var times: [Double] = []
    for _ in 0..<samples {
        let start = now()
        for _ in 0..<reps { body() }
        times.append((now() - start) / Double(reps))
    }
    times.sort()
    return times[times.count / 2]
}

/// Median seconds per call of each of `bodies`, measured interleaved: each round takes one sample
/// (at least `sampleSeconds` of back-to-back calls) of every body in turn, so that a slow spell of a
/// shared machine falls on all of them alike and their ratios stay meaningful.
func interleavedMedianSecondsPerCall(rounds: Int = 15, sampleSeconds: Double = 0.1, _ bodies: [() -> Void]) -> [Double] {
    let repetitions = bodies.map { body -> Int in
        body(); body()
        let t0 = now()
        body()
        return max(1, Int(sampleSeconds / max(now() - t0, 1e-7)))
    }
    var times = bodies.map { _ in [Double]() }
    for _ in 0..<rounds {
        for (index, body) in bodies.enumerated() {
            let start = now()
            for _ in 0..<repetitions[index] { body() }
            times[index].append((now() - start) / Double(repetitions[index]))
        }
    }
    return times.map { $0.sorted()[$0.count / 2] }
}

/// Serializes a flat JSON value (numbers, strings, arrays, dictionaries) with sorted keys.
func jsonString(_ value: Any) -> String {
    let data = try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}
