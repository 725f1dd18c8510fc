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

/// Serializes a flat JSON value (numbers, strings, arrays, dictionaries) with sorted keys.
func jsonString(_ value: Any) -> String {
    let data = try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}
