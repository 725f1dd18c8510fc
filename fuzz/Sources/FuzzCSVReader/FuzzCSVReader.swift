import CFuzzDriver
import Feedforward
import Foundation

/// Any bytes, through the in-memory CSV readers only (no file, no training, so it runs fast): the
/// table and the column readers must agree (same records, same numbers, same errors), the fast number
/// rule must equal `Float(_:)`, and `CSV.dataset` must finish or throw `DataError`, never trap.
func fuzzCSVReader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
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

/// The entry point SwiftPM links as `main`: runs libFuzzer with the arguments given.
@_cdecl("FuzzCSVReader_main")
public func fuzzCSVReaderMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzCSVReader(data, size) }
}
