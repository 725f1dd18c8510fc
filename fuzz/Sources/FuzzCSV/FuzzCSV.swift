import CFuzzDriver
import Feedforward

/// Any bytes: CSV.parse and CSV.dataset must return a table or throw a DataError.
func fuzzCSV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let table = try CSV.parse(bytes, path: "fuzz.csv")
        for row in table.rows { precondition(row.count == table.header.count) }
        for kind in [CSVTargetKind.regression, .classification(order: .sorted), .classification(order: .firstSeen)] {
            for target in [CSVColumn.last, .index(0), .name(table.header[0])] {
                do {
                    let dataset = try CSV.dataset(from: table, target: target, kind: kind, path: "fuzz.csv")
                    precondition(dataset.features.count == table.rows.count * (table.header.count - 1))
                } catch is DataError {}
            }
        }
    } catch is DataError {
    } catch {
        fatalError("CSV threw a non-DataError: \(error)")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with the arguments given.
@_cdecl("FuzzCSV_main")
public func fuzzCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzCSV(data, size) }
}
