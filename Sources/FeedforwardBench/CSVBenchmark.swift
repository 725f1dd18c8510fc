import Feedforward
import Foundation

/// `csv FILE [--regression] [--reader]`: loads a CSV file as `feedforward train --dataset csv:FILE`
/// does (`DataSplits.load`: schema fitted on the training rows, 20% held out for testing, last
/// column the target), or with `--reader` through the column reader alone (`CSV.readDataset`), and
/// prints one JSON line: seconds, rows, features, the Float32 bytes of the features, and the
/// process's peak resident memory (VmHWM, MB) before and after.
/// benchmarks/compare_csv.py runs both beside pandas and NumPy.
func csvBenchmark(_ arguments: [String]) {
    guard let path = arguments.first else {
        print("usage: feedforward-bench csv FILE [--regression] [--reader]")
        exit(2)
    }
    let regression = arguments.contains("--regression")
    let before = residentMemoryMB().peak
    let start = now()
    do {
        let rows: Int, features: Int
        if arguments.contains("--reader") {
            let dataset = try CSV.readDataset(contentsOf: URL(fileURLWithPath: path), target: .last,
                                              kind: regression ? .regression : .classification())
            (rows, features) = (dataset.count, dataset.featureCount)
        } else {
            let splits = try DataSplits.load(.csv(path: path, labelColumn: nil, regression: regression),
                                             validationFraction: 0, seed: 0)
            (rows, features) = (splits.training.count + splits.test.count, splits.training.featureCount)
        }
        let seconds = now() - start
        let peak = residentMemoryMB().peak
        print("{\"seconds\": \(seconds), \"rows\": \(rows), \"features\": \(features), "
              + "\"float32_bytes\": \(rows * features * 4), \"peak_rss_mb_before\": \(before), \"peak_rss_mb\": \(peak)}")
    } catch {
        print("error: \(error)")
        exit(1)
    }
}
