import CFuzzDriver
import Feedforward
import Foundation

/// Where each input is written for the file-based readers (one file per fuzzing process).
let scratchFile = FileManager.default.temporaryDirectory
    .appendingPathComponent("feedforward-fuzz-csv-\(ProcessInfo.processInfo.processIdentifier).csv")

/// Any bytes, through every CSV path a user's file takes: the table and the column readers must
/// agree (same records, same numbers, same errors); `readDataset` on a file, the train/validation/test
/// split, standardisation, model building and evaluation must finish or throw, never trap.
func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let table: CSVTable
    do {
        table = try CSV.parse(bytes, path: "fuzz.csv")
    } catch let error as DataError {
        // The column reader tokenizes by the same rule and must fail the same way.
        do {
            _ = try CSV.columns(from: bytes, path: "fuzz.csv") { Set($0.indices) }
            fatalError("CSV.parse threw \(error) but CSV.columns read the bytes")
        } catch let other as DataError {
            precondition(other == error, "CSV.parse threw \(error), CSV.columns \(other)")
        } catch {
            fatalError("CSV.columns threw a non-DataError: \(error)")
        }
        return 0
    } catch {
        fatalError("CSV threw a non-DataError: \(error)")
    }
    for row in table.rows { precondition(row.count == table.header.count) }
    checkColumnsAgree(with: table, bytes: bytes)
    for row in table.rows {
        for field in row {
            let fast = CSV.number(in: field), exact = referenceNumber(field)
            precondition(fast?.bitPattern == exact?.bitPattern, "\(field.debugDescription): \(String(describing: fast)) vs \(String(describing: exact))")
        }
    }
    for kind in [CSVTargetKind.regression, .classification(order: .sorted), .classification(order: .firstSeen)] {
        for target in [CSVColumn.last, .index(0), .name(table.header[0])] {
            do {
                let dataset = try CSV.dataset(from: table, target: target, kind: kind, path: "fuzz.csv")
                precondition(dataset.features.count == table.rows.count * (table.header.count - 1))
            } catch is DataError {}
            catch { fatalError("CSV.dataset threw a non-DataError: \(error)") }
        }
    }
    guard (try? Data(bytes).write(to: scratchFile)) != nil else { fatalError("cannot write \(scratchFile.path)") }
    for regression in [false, true] {
        trainingPipeline(.csv(path: scratchFile.path, labelColumn: nil, regression: regression))
    }
    return 0
}

/// The number rule as `Float(_:)` states it, without the fast decimal path.
func referenceNumber(_ field: String) -> Float? {
    let trimmed = field.trimmingCharacters(in: .whitespaces)
    guard !trimmed.utf8.contains(0), let value = Float(trimmed), value.isFinite else { return nil }
    return value
}

/// `CSV.columns` reads what `CSV.parse` reads: the same header, lines and text, and for numeric
/// columns the numbers `CSV.dataset` finds (or the same first non-numeric field).
func checkColumnsAgree(with table: CSVTable, bytes: [UInt8]) {
    do {
        let text = try CSV.columns(from: bytes, path: "fuzz.csv") { Set($0.indices) }
        precondition(text.header == table.header && text.lineNumbers == table.lineNumbers && text.numbers.isEmpty)
        for column in table.header.indices { precondition(text.text[column]! == table.rows.map { $0[column] }) }
    } catch {
        fatalError("CSV.parse read the bytes but CSV.columns threw \(error)")
    }
    let last = table.header.count - 1
    var columns: CSVColumns? = nil, columnsError: DataError? = nil
    do {
        columns = try CSV.columns(from: bytes, path: "fuzz.csv") { _ in [last] }
    } catch let error as DataError {
        columnsError = error
    } catch {
        fatalError("CSV.columns threw a non-DataError: \(error)")
    }
    do {
        let dataset = try CSV.dataset(from: table, target: .last, kind: .classification(order: .firstSeen), path: "fuzz.csv")
        guard let columns else { fatalError("CSV.dataset read the table but CSV.columns threw \(columnsError!)") }
        precondition(columns.numbers.map(\.bitPattern) == dataset.features.map(\.bitPattern))
        precondition(columns.text[last]! == table.rows.map { $0[last] })
    } catch let error as DataError {
        if error.kind == .nonNumericValue {
            precondition(columnsError == error, "CSV.dataset threw \(error), CSV.columns \(String(describing: columnsError))")
        } else {
            precondition(table.rows.isEmpty || table.header.count == 1, "unexpected \(error)")
        }
    } catch {
        fatalError("CSV.dataset threw a non-DataError: \(error)")
    }
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
