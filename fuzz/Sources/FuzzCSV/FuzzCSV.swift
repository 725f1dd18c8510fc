import CFuzzDriver
import Feedforward
import Foundation

/// Where each input is written for the file-based reader: one fixed path per fuzzing process.
let scratchFile = FileManager.default.temporaryDirectory
    .appendingPathComponent("feedforward-fuzz-csv-\(ProcessInfo.processInfo.processIdentifier).csv")

/// The widest header this target takes through the pipeline (wider inputs are the reader target's).
let maximumColumns = 32

/// Any bytes, written to a file and taken through what `feedforward train --dataset csv:FILE` does:
/// `readDataset`, the train/validation/test split, standardisation fitted on the training split,
/// model building and one evaluation must finish or throw `DataError`/`TrainingError`, never trap.
/// The in-memory readers' agreement is checked (much faster) by `FuzzCSVReader`.
func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let firstLine = bytes.prefix { $0 != UInt8(ascii: "\n") }
    guard firstLine.count(where: { $0 == UInt8(ascii: ",") }) < maximumColumns else { return 0 }
    guard (try? Data(bytes).write(to: scratchFile)) != nil else { fatalError("cannot write \(scratchFile.path)") }
    for regression in [false, true] {
        trainingPipeline(.csv(path: scratchFile.path, labelColumn: nil, regression: regression))
    }
    return 0
}

/// What `feedforward train --dataset csv:FILE` does before its first step, then one evaluation.
func trainingPipeline(_ source: DataSource) {
    do {
        let splits = try DataSplits.load(source, validationFraction: 0.2, seed: 1)
        let (output, targetSize): (OutputUnit, Int)
        switch splits.training.targets {
        case .classes(_, let classCount): (output, targetSize) = (.softmax, classCount)
        case .values(let values): (output, targetSize) = (.linear, values.shape[1])
        }
        let specification = NetworkSpecification(inputSize: splits.training.featureCount, hiddenSizes: [3],
                                                 activation: .relu, output: output, targetSize: targetSize)
        let session = TrainingSession(specification: specification, options: TrainingOptions(), standardizer: splits.standardizer)
        try session.validate(splits.training)
        let result = session.evaluate(on: splits.test)
        precondition(result.count == splits.test.count)
    } catch is DataError {
    } catch is TrainingError {
    } catch {
        fatalError("the training pipeline threw an unexpected error: \(error)")
    }
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with the arguments given.
@_cdecl("FuzzCSV_main")
public func fuzzCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzCSV(data, size) }
}
