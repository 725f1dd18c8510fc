import Feedforward
import Foundation

/// `csv FILE [--regression]`: loads a CSV file as `feedforward train --dataset csv:FILE` does
/// (`CSV.readDataset`, last column the target) and prints one JSON line: seconds, rows, features,
/// the Float32 bytes of the features, and the process's peak resident memory (VmHWM, MB) before and after.
/// benchmarks/compare_csv.py runs it beside pandas and NumPy.
func csvBenchmark(_ arguments: [String]) {
    guard let path = arguments.first else {
        print("usage: feedforward-bench csv FILE [--regression]")
        exit(2)
    }
    let kind: CSVTargetKind = arguments.contains("--regression") ? .regression : .classification()
    let before = residentMemoryMB().peak
    let start = now()
    do {
        let dataset = try CSV.readDataset(contentsOf: URL(fileURLWithPath: path), target: .last, kind: kind)
        let seconds = now() - start
        let peak = residentMemoryMB().peak
        print("{\"seconds\": \(seconds), \"rows\": \(dataset.count), \"features\": \(dataset.featureCount), "
              + "\"float32_bytes\": \(dataset.features.count * 4), \"peak_rss_mb_before\": \(before), \"peak_rss_mb\": \(peak)}")
    } catch {
        print("error: \(error)")
        exit(1)
    }
}
