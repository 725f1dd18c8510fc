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
    ///   when a record's field count differs from the header's, each with line and column.
    public static func parse(_ bytes: [UInt8], path: String? = nil, delimiter: Unicode.Scalar = ",") throws -> CSVTable {
        precondition(delimiter.isASCII && delimiter != "\"" && delimiter != "\n" && delimiter != "\r",
                     "the delimiter must be an ASCII character other than a quote or a line break")
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        if let bad = firstInvalidUTF8(bytes, from: start) {
            let (line, column) = lineAndColumn(of: bad, in: bytes, from: start)
            throw DataError(.invalidUTF8, path: path, at: .lineColumn(line: line, column: column),
                            "invalid UTF-8 (byte \(bad) is \(IDX.hex(bytes[bad])))")
        }
        let records = try splitRecords(bytes, from: start, path: path, delimiter: UInt8(delimiter.value))
        guard let header = records.first else {
            throw DataError(.emptyFile, path: path, "the file is empty, expected a header row")
        }
        var table = CSVTable(header: header.fields, rows: [], lineNumbers: [], fieldColumns: [])
        for record in records.dropFirst() {
            guard record.fields.count == header.fields.count else {
                let column = record.fields.count > header.fields.count
                    ? record.columns[header.fields.count] : (record.columns.last ?? 1)
                throw DataError(.raggedRow, path: path, at: .lineColumn(line: record.line, column: column),
                                "expected \(header.fields.count) fields as in the header, found \(record.fields.count)")
            }
            table.rows.append(record.fields)
            table.lineNumbers.append(record.line)
            table.fieldColumns.append(record.columns)
        }
        return table
    }

    /// Reads a CSV file into a numeric dataset: every column but the target is a feature.
    /// - Parameters:
    ///   - url: the file.
    ///   - target: the column holding labels or values.
    ///   - kind: classification (labels mapped to class indices as `order` says) or regression.
    /// - Throws: `DataError`: parse errors, `.missingColumn`, `.nonNumericValue` with line and column.
    public static func readDataset(contentsOf url: URL, target: CSVColumn, kind: CSVTargetKind) throws -> TabularDataset {
        try dataset(from: parse(FileIO.readAll(url), path: url.path), target: target, kind: kind, path: url.path)
    }

    /// Turns a parsed table into a numeric dataset; see `readDataset(contentsOf:target:kind:)`.
    /// - Throws: `DataError`.
    public static func dataset(from table: CSVTable, target: CSVColumn, kind: CSVTargetKind, path: String? = nil) throws -> TabularDataset {
        let targetIndex: Int
        switch target {
        case .name(let name):
            guard let i = table.header.firstIndex(of: name) else {
                throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: 1),
                                "no column named \"\(name)\"; the columns are \(table.header)")
            }
            targetIndex = i
        case .index(let i):
            guard i >= 0 && i < table.header.count else {
                throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: 1),
                                "no column at index \(i); the file has \(table.header.count) columns")
            }
            targetIndex = i
        case .last:
            targetIndex = table.header.count - 1
        }
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
            let raw = table.rows.map { $0[targetIndex] }
            var names: [String] = []
            var seen = Set<String>()
            for label in raw where seen.insert(label).inserted { names.append(label) }
            if order == .sorted {
                let numeric = names.map { name -> Double? in
                    let trimmed = name.trimmingCharacters(in: .whitespaces)
                    return trimmed.utf8.contains(0) ? nil : Double(trimmed)   // see number(_:...)
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
            targets = .classes(labels: raw.map { index[$0]! }, classNames: names)
        }
        return TabularDataset(featureNames: featureColumns.map { table.header[$0] }, features: features, targets: targets)
    }

    // MARK: - Internals

    static func number(_ field: String, row: Int, column: Int, in table: CSVTable, path: String?) throws -> Float {
        let trimmed = field.trimmingCharacters(in: .whitespaces)
        // Float(_:) parses through C, which stops at a NUL byte: "2\0junk" would read as 2.
        if !trimmed.utf8.contains(0), let value = Float(trimmed), value.isFinite { return value }
        let what = trimmed.isEmpty ? "an empty field" : "\"\(field)\""
        throw DataError(.nonNumericValue, path: path,
                        at: .lineColumn(line: table.lineNumbers[row], column: table.fieldColumns[row][column]),
                        "expected a finite number in column \"\(table.header[column])\", found \(what)")
    }

    struct Record {
        var fields: [String]
        var columns: [Int]
        var line: Int
    }

    /// Splits validated UTF-8 into records of fields.
    static func splitRecords(_ bytes: [UInt8], from start: Int, path: String?, delimiter: UInt8) throws -> [Record] {
        let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var records: [Record] = []
        var fields: [String] = []
        var columns: [Int] = []
        var field: [UInt8] = []
        var line = 1, column = 1          // position of the next byte
        var recordLine = 1
        var fieldColumn = 1
        var i = start
        var atFieldStart = true
        var recordIsEmpty = true          // no byte of the record read yet

        func advanceColumn(_ byte: UInt8) {
            if byte & 0xC0 != 0x80 { column += 1 }   // count scalars, not continuation bytes
        }
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            columns.append(fieldColumn)
            field.removeAll(keepingCapacity: true)
            atFieldStart = true
        }
        func endRecord() {
            if !recordIsEmpty { endField(); records.append(Record(fields: fields, columns: columns, line: recordLine)) }
            fields = []; columns = []; field.removeAll(keepingCapacity: true)
            atFieldStart = true; recordIsEmpty = true
        }

        while i < bytes.count {
            let byte = bytes[i]
            if recordIsEmpty && byte != lf && byte != cr { recordLine = line; recordIsEmpty = false }
            let startsField = atFieldStart
            if atFieldStart { fieldColumn = column; atFieldStart = false }
            if byte == quote && startsField {
                // A quoted field: read to the closing quote.
                let openLine = line, openColumn = column
                i += 1; column += 1
                var closed = false
                while i < bytes.count {
                    let b = bytes[i]
                    if b == quote {
                        if i + 1 < bytes.count && bytes[i + 1] == quote {
                            field.append(quote); i += 2; column += 2; continue
                        }
                        i += 1; column += 1; closed = true; break
                    }
                    field.append(b)
                    if b == lf { line += 1; column = 1 } else if b == cr {
                        if !(i + 1 < bytes.count && bytes[i + 1] == lf) { line += 1; column = 1 }
                    } else { advanceColumn(b) }
                    i += 1
                }
                guard closed else {
                    throw DataError(.malformedQuotedField, path: path, at: .lineColumn(line: openLine, column: openColumn),
                                    "the quoted field opened here is never closed")
                }
                if i < bytes.count && bytes[i] != delimiter && bytes[i] != lf && bytes[i] != cr {
                    throw DataError(.malformedQuotedField, path: path, at: .lineColumn(line: line, column: column),
                                    "expected a delimiter or the end of the line after a closing quote")
                }
                continue
            }
            if byte == delimiter {
                endField(); i += 1; column += 1
                continue
            }
            if byte == lf || byte == cr {
                if byte == cr && i + 1 < bytes.count && bytes[i + 1] == lf { i += 1 }
                endRecord(); i += 1; line += 1; column = 1
                continue
            }
            if byte == quote {
                throw DataError(.malformedQuotedField, path: path, at: .lineColumn(line: line, column: column),
                                "a quote inside an unquoted field; quote the whole field and double inner quotes")
            }
            field.append(byte); advanceColumn(byte); i += 1
        }
        if atFieldStart { fieldColumn = column }
        endRecord()
        return records
    }

    /// The offset of the first byte that is not part of well-formed UTF-8, or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int, low: UInt8, high: UInt8   // allowed range of the second byte
            switch b {
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            default: return i
            }
            guard i + 1 < bytes.count, (low...high).contains(bytes[i + 1]) else { return i }
            for k in 2..<length {
                guard i + k < bytes.count, bytes[i + k] & 0xC0 == 0x80 else { return i }
            }
            i += length
        }
        return nil
    }

    static func lineAndColumn(of offset: Int, in bytes: [UInt8], from start: Int) -> (Int, Int) {
        var line = 1, column = 1
        var i = start
        while i < offset {
            let b = bytes[i]
            if b == UInt8(ascii: "\n") { line += 1; column = 1 }
            else if b == UInt8(ascii: "\r") {
                if !(i + 1 < offset && bytes[i + 1] == UInt8(ascii: "\n")) { line += 1; column = 1 }
            } else if b & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return (line, column)
    }
}
