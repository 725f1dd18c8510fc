import Foundation

/// A parsed CSV file: the header row and the records, as strings.
public struct CSVTable: Equatable, Sendable {
    /// The column names from the first row.
    public var header: [String]
    /// The records after the header, each with `header.count` fields.
    public var rows: [[String]]
    /// The one-based line on which each record starts (for error messages).
    public var lineNumbers: [Int]
    /// The one-based column (in Unicode scalars) at which each field of each record starts.
    public var fieldColumns: [[Int]]
}

/// Which column of a CSV file holds the target.
public enum CSVColumn: Equatable, Sendable {
    /// The column with this header name.
    case name(String)
    /// The column at this zero-based index.
    case index(Int)
    /// The last column.
    case last
}

/// What the target column of a CSV file holds.
public enum CSVTargetKind: Equatable, Sendable {
    /// Class labels (any strings). Class indices follow the order of `order`.
    case classification(order: CSVClassOrder = .sorted)
    /// Numbers, for regression.
    case regression
}

/// How class labels are numbered.
public enum CSVClassOrder: Equatable, Sendable {
    /// Labels sorted: numerically when every label is a number ("2" < "10"), else by Unicode
    /// scalar values; class 0 is the smallest.
    case sorted
    /// In the order labels first appear in the file; class 0 is the first row's label.
    case firstSeen
}

/// A CSV reader following RFC 4180: comma-separated fields, fields in double quotes may hold
/// commas, line breaks and doubled quotes (`""`), records end with LF or CRLF.
///
/// The file must be UTF-8 (a leading byte order mark is skipped). Empty lines are skipped.
/// Spaces around unquoted numeric fields are ignored when numbers are read.
public enum CSV {
    /// Parses CSV bytes into a header and records. `path` names the source in errors.
    /// - Throws: `DataError`: `.emptyFile`, `.invalidUTF8`, `.malformedQuotedField`, or `.raggedRow`
    ///   when a record's field count differs from the header's, each with line and column; the
    ///   first problem in file order.
    public static func parse(_ bytes: [UInt8], path: String? = nil, delimiter: Unicode.Scalar = ",") throws -> CSVTable {
        var sink = TableSink()
        try scan(bytes, path: path, delimiter: delimiter, visitor: &sink)
        return sink.table
    }

    /// The number a field holds by the rule every CSV reader applies, or nil: spaces and tabs around
    /// it are ignored, and it must be a finite value that Swift's `Float(_:)` reads (correctly rounded).
    public static func number(in field: String) -> Float? {
        NumberParsing.float(field)
    }

    /// Reads a CSV file into a numeric dataset: every column but the target is a feature.
    /// - Parameters:
    ///   - url: the file.
    ///   - target: the column holding labels or values.
    ///   - kind: classification (labels mapped to class indices as `order` says) or regression.
    /// - Throws: `DataError`: parse errors, `.missingColumn`, `.nonNumericValue` with line and column.
    public static func readDataset(contentsOf url: URL, target: CSVColumn, kind: CSVTargetKind) throws -> TabularDataset {
        // Fast path: features parsed straight into the matrix, the target kept as text.
        var targetIndex = 0
        let columns: CSVColumns
        do {
            columns = try readColumns(contentsOf: url) { header in
                targetIndex = try index(of: target, in: header, path: url.path)
                return [targetIndex]
            }
        } catch let error as DataError where error.kind == .nonNumericValue {
            // A feature that is not a number: the general path over the whole table decides.
            return try dataset(from: parse(FileIO.readAll(url), path: url.path), target: target, kind: kind, path: url.path)
        }
        let raw = columns.text[targetIndex]!
        let targets: TabularTargets
        switch kind {
        case .regression:
            targets = .values(try raw.indices.map { row in
                guard let value = NumberParsing.float(raw[row]) else {
                    // Located by the general path, which reads the file again (only on this error).
                    return try number(raw[row], row: row, column: targetIndex,
                                      in: parse(FileIO.readAll(url), path: url.path), path: url.path)
                }
                return value
            })
        case .classification(let order):
            targets = classTargets(raw, order: order)
        }
        return try trainableDataset(featureNames: columns.numericColumns.map { columns.header[$0] },
                                    features: columns.numbers, targets: targets, path: url.path)
    }

    /// Turns a parsed table into a numeric dataset; see `readDataset(contentsOf:target:kind:)`.
    /// - Throws: `DataError`.
    public static func dataset(from table: CSVTable, target: CSVColumn, kind: CSVTargetKind, path: String? = nil) throws -> TabularDataset {
        let targetIndex = try index(of: target, in: table.header, path: path)
        let featureColumns = table.header.indices.filter { $0 != targetIndex }
        var features: [Float] = []
        features.reserveCapacity(table.rows.count * featureColumns.count)
        for (r, row) in table.rows.enumerated() {
            for c in featureColumns {
                features.append(try number(row[c], row: r, column: c, in: table, path: path))
            }
        }
        let targets: TabularTargets
        switch kind {
        case .regression:
            targets = .values(try table.rows.indices.map {
                try number(table.rows[$0][targetIndex], row: $0, column: targetIndex, in: table, path: path)
            })
        case .classification(let order):
            targets = classTargets(table.rows.map { $0[targetIndex] }, order: order)
        }
        return try trainableDataset(featureNames: featureColumns.map { table.header[$0] }, features: features,
                                    targets: targets, path: path)
    }

    // MARK: - Internals

    static func index(of target: CSVColumn, in header: [String], path: String?) throws -> Int {
        switch target {
        case .name(let name):
            guard let i = header.firstIndex(of: name) else {
                throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: 1),
                                "no column named \"\(name)\"; the columns are \(header)")
            }
            return i
        case .index(let i):
            guard i >= 0 && i < header.count else {
                throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: 1),
                                "no column at index \(i); the file has \(header.count) columns")
            }
            return i
        case .last:
            return header.count - 1
        }
    }

    /// A dataset, once it is known to have a record and a feature column to learn from.
    static func trainableDataset(featureNames: [String], features: [Float], targets: TabularTargets,
                                 path: String?) throws -> TabularDataset {
        guard targets.count > 0 else {
            throw DataError(.emptyFile, path: path, "the file has a header but no records")
        }
        guard !featureNames.isEmpty else {
            throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: 1),
                            "the file has no feature columns: its only column holds the targets")
        }
        return TabularDataset(featureNames: featureNames, features: features, targets: targets)
    }

    /// Numbers class labels as `order` says.
    static func classTargets(_ raw: [String], order: CSVClassOrder) -> TabularTargets {
        var names: [String] = []
        var seen = Set<String>()
        for label in raw where seen.insert(label).inserted { names.append(label) }
        if order == .sorted {
            let numeric = names.map { name -> Double? in
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                return trimmed.utf8.contains(0) ? nil : Double(trimmed)   // C stops at NUL: "2\0x" is no number
            }
            if numeric.allSatisfy({ $0?.isFinite == true }) {
                names = zip(names, numeric.map { $0! }).sorted { a, b in
                    a.1 != b.1 ? a.1 < b.1 : a.0.unicodeScalars.lexicographicallyPrecedes(b.0.unicodeScalars)
                }.map(\.0)
            } else {
                names.sort { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
            }
        }
        var index: [String: Int32] = [:]
        for (i, name) in names.enumerated() { index[name] = Int32(i) }
        return .classes(labels: raw.map { index[$0]! }, classNames: names)
    }

    static func number(_ field: String, row: Int, column: Int, in table: CSVTable, path: String?) throws -> Float {
        if let value = NumberParsing.float(field) { return value }
        let trimmed = field.trimmingCharacters(in: .whitespaces)
        let what = trimmed.isEmpty ? "an empty field" : "\"\(field)\""
        throw DataError(.nonNumericValue, path: path,
                        at: .lineColumn(line: table.lineNumbers[row], column: table.fieldColumns[row][column]),
                        "expected a finite number in column \"\(table.header[column])\", found \(what)")
    }
}

/// Collects the records of a CSV file as strings, for `CSV.parse`.
struct TableSink: CSVRecordVisitor {
    var table = CSVTable(header: [], rows: [], lineNumbers: [], fieldColumns: [])
    private var fields: [String] = []
    private var columns: [Int] = []
    /// The last column computed, to count each line's scalars once: (line start, offset, column).
    private var lastColumn = (lineStart: -1, offset: 0, column: 1)

    mutating func visitHeader(_ names: [String]) throws {
        table.header = names
    }

    mutating func visitField(_ field: CSVField, index: Int, in bytes: UnsafePointer<UInt8>) throws {
        fields.append(field.text(in: bytes))
        var column = 1, from = field.lineStart
        if lastColumn.lineStart == field.lineStart && lastColumn.offset <= field.start {
            (column, from) = (lastColumn.column, lastColumn.offset)
        }
        for i in from..<field.start where bytes[i] & 0xC0 != 0x80 { column += 1 }
        lastColumn = (field.lineStart, field.start, column)
        columns.append(column)
    }

    mutating func endRecord(line: Int) throws {
        lastColumn.lineStart = -1
        table.rows.append(fields)
        table.fieldColumns.append(columns)
        table.lineNumbers.append(line)
        fields.removeAll(keepingCapacity: true)
        columns.removeAll(keepingCapacity: true)
    }

    mutating func noteProgress(bytesRead: Int) {}

    mutating func discardRecord() {
        lastColumn.lineStart = -1
        fields.removeAll(keepingCapacity: true)
        columns.removeAll(keepingCapacity: true)
    }
}
