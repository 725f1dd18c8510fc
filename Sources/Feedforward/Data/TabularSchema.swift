import Foundation

/// What to do with a missing value (an empty field, `NA`, `N/A`, `NaN`, `null` or `?`) in a feature
/// column of a CSV file. Missing targets are always an error.
public enum MissingValueStrategy: String, Sendable, Codable, CaseIterable {
    /// Stop with an error naming the file, line and column of the first missing value.
    case error
    /// Fill numeric columns with their mean over the training rows, categorical columns with their
    /// most frequent category (scikit-learn's `SimpleImputer(strategy="mean")`).
    case mean
    /// Fill numeric columns with their median over the training rows, categorical columns with
    /// their most frequent category.
    case median
}

/// How the columns of a CSV file become a network's inputs and targets, fitted on the training file
/// and stored in checkpoints, so that every later file (test, validation, prediction inputs) is
/// encoded exactly as the training data was: same class numbering, same categories, same column
/// order, matched by column name.
///
/// - A feature column is numeric when every present value is a finite number, else categorical.
///   A categorical column becomes one 0/1 feature per category (one-hot, categories sorted); a value
///   not seen in the training file encodes as all zeros (scikit-learn's
///   `OneHotEncoder(handle_unknown="ignore")`) and is counted in ``EncodedTable/unseenCategories``.
/// - Class labels are trimmed of spaces and numbered as ``CSVClassOrder/sorted`` says; a label not
///   seen in the training file is an error.
/// - Missing values follow ``missingValues``; the fill values are fitted on the training rows only.
/// - The first row of a file is always its header. A first row made only of numbers is refused as a
///   header (the file most likely has none).
public struct TabularSchema: Sendable, Equatable, Codable {
    /// How one column becomes features.
    public enum ColumnEncoding: Sendable, Equatable, Codable {
        /// One feature: the number, or `fill` where the value is missing.
        case numeric(fill: Float?)
        /// One feature per category (one-hot); a missing value becomes `fill` when there is one.
        case categorical(categories: [String], fill: String?)
    }

    /// A feature column of the training file.
    public struct FeatureColumn: Sendable, Equatable, Codable {
        /// The column's header name.
        public var name: String
        /// How its values become features.
        public var encoding: ColumnEncoding
    }

    /// What the target column holds.
    public enum TargetEncoding: Sendable, Equatable, Codable {
        /// Class labels; class `i` is `names[i]`.
        case classes(names: [String])
        /// Real values (regression).
        case values
    }

    /// The feature columns, in the training file's order.
    public var featureColumns: [FeatureColumn]
    /// The header name of the target column.
    public var targetColumn: String
    /// How targets are encoded.
    public var target: TargetEncoding
    /// What missing feature values become.
    public var missingValues: MissingValueStrategy

    /// Categorical columns with more distinct values than this are refused (most likely identifiers).
    public static let maximumCategories = 1000

    /// Fits a schema on `table`. Vocabularies (class names, categories) come from every row of the
    /// file; fill values for missing data from `statisticsRows` only (the training rows; all rows
    /// when nil).
    /// - Throws: `DataError` naming the file, line and column: a missing target column, a first row
    ///   that is data rather than a header, a missing value when `missingValues` is `.error`, a
    ///   non-numeric regression target, or a categorical column with too many categories.
    public init(
        fitting table: CSVTable, target: CSVColumn, regression: Bool, missingValues: MissingValueStrategy = .error,
        statisticsRows: [Int]? = nil, path: String? = nil
    ) throws {
        if !table.header.isEmpty, table.header.allSatisfy({ Self.number($0) != nil }) {
            throw DataError(.invalidHeader, path: path, at: .lineColumn(line: 1, column: 1),
                            "the first row \(table.header.prefix(4)) holds only numbers: the first row must be a header naming the columns; add one")
        }
        var seenNames = Set<String>()
        for (index, name) in table.header.enumerated() where !seenNames.insert(name).inserted {
            throw DataError(.invalidHeader, path: path, at: .lineColumn(line: 1, column: index + 1),
                            "the column name \"\(name)\" appears twice in the header")
        }
        let targetIndex = try Self.index(of: target, in: table, path: path)
        self.targetColumn = table.header[targetIndex]
        self.missingValues = missingValues
        let statisticsRows = statisticsRows ?? Array(table.rows.indices)

        for row in table.rows.indices where Self.isMissing(table.rows[row][targetIndex]) {
            throw Self.missingValueError(row: row, column: targetIndex, in: table, path: path, what: "target")
        }
        if regression {
            for row in table.rows.indices where Self.number(table.rows[row][targetIndex]) == nil {
                throw DataError(.nonNumericValue, path: path, at: Self.location(row: row, column: targetIndex, in: table),
                                "expected a number in the target column \"\(targetColumn)\" of a regression, found \"\(table.rows[row][targetIndex])\"")
            }
            self.target = .values
        } else {
            self.target = .classes(names: Self.sortedClassNames(Set(table.rows.map { Self.trimmed($0[targetIndex]) })))
        }

        featureColumns = []
        for column in table.header.indices where column != targetIndex {
            let name = table.header[column]
            let present = table.rows.indices.filter { !Self.isMissing(table.rows[$0][column]) }
            if missingValues == .error, present.count < table.rows.count,
               let row = table.rows.indices.first(where: { Self.isMissing(table.rows[$0][column]) }) {
                throw Self.missingValueError(row: row, column: column, in: table, path: path, what: "feature")
            }
            let presentForStatistics = statisticsRows.filter { !Self.isMissing(table.rows[$0][column]) }
            if present.allSatisfy({ Self.number(table.rows[$0][column]) != nil }) {
                let values = presentForStatistics.map { Self.number(table.rows[$0][column])! }
                featureColumns.append(FeatureColumn(name: name, encoding: .numeric(fill: Self.fill(values, missingValues))))
            } else {
                let categories = Set(present.map { Self.trimmed(table.rows[$0][column]) })
                guard categories.count <= Self.maximumCategories else {
                    throw DataError(.tooLarge, path: path, at: .lineColumn(line: 1, column: column + 1),
                                    "column \"\(name)\" holds \(categories.count) distinct non-numeric values, more than \(Self.maximumCategories) categories; if it is an identifier, remove it")
                }
                var frequency: [String: Int] = [:]
                for row in presentForStatistics { frequency[Self.trimmed(table.rows[row][column]), default: 0] += 1 }
                let mostFrequent = frequency.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
                featureColumns.append(FeatureColumn(
                    name: name,
                    encoding: .categorical(categories: categories.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) },
                                           fill: missingValues == .error ? nil : mostFrequent)))
            }
        }
    }

    /// The names of the encoded features: a numeric column's name, or `column=category` for each
    /// category of a categorical column.
    public var featureNames: [String] {
        featureColumns.flatMap { column -> [String] in
            switch column.encoding {
            case .numeric: return [column.name]
            case .categorical(let categories, _): return categories.map { "\(column.name)=\($0)" }
            }
        }
    }

    /// The number of encoded features per row (the network's input width).
    public var featureCount: Int { featureNames.count }

    /// The class names, for classification.
    public var classNames: [String] {
        if case .classes(let names) = target { return names }
        return []
    }

    /// Encodes `table` as the training file was encoded: columns are found by name (their order does
    /// not matter); the target column must be present and is read when `requiresTarget` is set, and
    /// is ignored otherwise; any other column is an error.
    /// - Throws: `DataError` naming file, line and column: a feature column missing from the header,
    ///   a column the training file did not have, a missing value without a fill value, text in a
    ///   numeric column, or a class label the training file did not have.
    public func encode(_ table: CSVTable, requiresTarget: Bool, path: String? = nil) throws -> EncodedTable {
        var columnIndex: [String: Int] = [:]
        for (index, name) in table.header.enumerated() where columnIndex[name] == nil { columnIndex[name] = index }
        let sources = try featureColumns.map { column -> Int in
            guard let index = columnIndex[column.name] else {
                throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: 1),
                                "no column named \"\(column.name)\"; the model was trained on the columns \(featureColumns.map(\.name) + [targetColumn])")
            }
            return index
        }
        let targetIndex = columnIndex[targetColumn]
        if requiresTarget && targetIndex == nil {
            throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: 1),
                            "no target column \"\(targetColumn)\"; the columns are \(table.header)")
        }
        let known = Set(featureColumns.map(\.name) + [targetColumn])
        if let extra = table.header.indices.first(where: { !known.contains(table.header[$0]) }) {
            throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: extra + 1),
                            "column \"\(table.header[extra])\" was not in the training data; the model was trained on the columns \(featureColumns.map(\.name) + [targetColumn])")
        }

        let width = featureCount
        var features = [Float](repeating: 0, count: table.rows.count * width)
        var unseen: [String: Int] = [:]
        for (row, fields) in table.rows.enumerated() {
            var offset = row * width
            for (column, source) in zip(featureColumns, sources) {
                let field = fields[source]
                let missing = Self.isMissing(field)
                switch column.encoding {
                case .numeric(let fill):
                    if missing {
                        guard let fill else { throw Self.missingValueError(row: row, column: source, in: table, path: path, what: "feature") }
                        features[offset] = fill
                    } else if let value = Self.number(field) {
                        features[offset] = value
                    } else {
                        throw DataError(.nonNumericValue, path: path, at: Self.location(row: row, column: source, in: table),
                                        "expected a number in column \"\(column.name)\" (numeric in the training data), found \"\(field)\"")
                    }
                    offset += 1
                case .categorical(let categories, let fill):
                    var value = Self.trimmed(field)
                    if missing {
                        guard let fill else { throw Self.missingValueError(row: row, column: source, in: table, path: path, what: "feature") }
                        value = fill
                    }
                    if let position = Self.position(of: value, in: categories) {
                        features[offset + position] = 1
                    } else {
                        unseen[column.name, default: 0] += 1
                    }
                    offset += categories.count
                }
            }
        }

        var targets: SupervisedTargets?
        if requiresTarget, let targetIndex {
            switch target {
            case .values:
                targets = .values(Tensor(shape: [table.rows.count, 1], scalars: try table.rows.indices.map { row in
                    guard let value = Self.number(table.rows[row][targetIndex]) else {
                        if Self.isMissing(table.rows[row][targetIndex]) {
                            throw Self.missingValueError(row: row, column: targetIndex, in: table, path: path, what: "target")
                        }
                        throw DataError(.nonNumericValue, path: path, at: Self.location(row: row, column: targetIndex, in: table),
                                        "expected a number in the target column \"\(targetColumn)\", found \"\(table.rows[row][targetIndex])\"")
                    }
                    return value
                }))
            case .classes(let names):
                let numbering = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
                targets = .classes(try table.rows.indices.map { row in
                    let label = Self.trimmed(table.rows[row][targetIndex])
                    guard let index = numbering[label] else {
                        if Self.isMissing(label) {
                            throw Self.missingValueError(row: row, column: targetIndex, in: table, path: path, what: "target")
                        }
                        throw DataError(.labelOutOfRange, path: path, at: Self.location(row: row, column: targetIndex, in: table),
                                        "the class \"\(label)\" in column \"\(targetColumn)\" was not in the training data; the classes are \(names)")
                    }
                    return index
                }, classCount: names.count)
            }
        }
        return EncodedTable(
            features: Tensor(shape: [table.rows.count, width], scalars: features), targets: targets,
            classNames: classNames, unseenCategories: unseen)
    }

    // MARK: - Cells

    /// The spellings of a missing value (compared without case and surrounding spaces).
    public static let missingValueSpellings: Set<String> = ["", "na", "n/a", "nan", "null", "?"]

    /// Whether a field is a missing value.
    public static func isMissing(_ field: String) -> Bool {
        let value = trimmed(field)
        return value.utf8.count <= 4 && missingValueSpellings.contains(value.lowercased())   // the longest spelling, "null", has 4 bytes
    }

    /// The field without surrounding spaces (`CharacterSet.whitespaces`); fields that start and end
    /// with a printable ASCII character, the common case, are returned as they are.
    static func trimmed(_ field: String) -> String {
        if let first = field.utf8.first, let last = field.utf8.last, first > 0x20 && first < 0x7F && last > 0x20 && last < 0x7F {
            return field
        }
        return field.trimmingCharacters(in: .whitespaces)
    }

    /// The field as a finite number, or nil.
    static func number(_ field: String) -> Float? {
        let text = trimmed(field)
        // Float(_:) parses through C, which stops at a NUL byte: "2\0junk" would read as 2.
        guard !text.utf8.contains(0), let value = Float(text), value.isFinite else { return nil }
        return value
    }

    static func position(of value: String, in sortedCategories: [String]) -> Int? {
        var low = 0, high = sortedCategories.count
        while low < high {
            let middle = (low + high) / 2
            if sortedCategories[middle].unicodeScalars.lexicographicallyPrecedes(value.unicodeScalars) { low = middle + 1 } else { high = middle }
        }
        return low < sortedCategories.count && sortedCategories[low] == value ? low : nil
    }

    /// Class labels numbered as ``CSVClassOrder/sorted``: numerically when all are numbers, else by
    /// Unicode scalars.
    static func sortedClassNames(_ labels: Set<String>) -> [String] {
        let byScalars: (String, String) -> Bool = { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        let numbers = labels.map { ($0, number($0)) }
        guard numbers.allSatisfy({ $0.1 != nil }) else { return labels.sorted(by: byScalars) }
        return numbers.sorted { a, b in a.1! != b.1! ? a.1! < b.1! : byScalars(a.0, b.0) }.map(\.0)
    }

    static func fill(_ values: [Float], _ strategy: MissingValueStrategy) -> Float? {
        switch strategy {
        case .error: return nil
        case .mean: return values.isEmpty ? 0 : Float(values.reduce(0.0) { $0 + Double($1) } / Double(values.count))
        case .median:
            guard !values.isEmpty else { return 0 }
            let sorted = values.sorted()
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }
    }

    static func index(of column: CSVColumn, in table: CSVTable, path: String?) throws -> Int {
        switch column {
        case .name(let name):
            guard let index = table.header.firstIndex(of: name) else {
                throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: 1),
                                "no column named \"\(name)\"; the columns are \(table.header)")
            }
            return index
        case .index(let index):
            guard table.header.indices.contains(index) else {
                throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: 1),
                                "no column at index \(index); the file has \(table.header.count) columns")
            }
            return index
        case .last:
            guard !table.header.isEmpty else {
                throw DataError(.missingColumn, path: path, at: .lineColumn(line: 1, column: 1), "the file has no columns")
            }
            return table.header.count - 1
        }
    }

    static func location(row: Int, column: Int, in table: CSVTable) -> DataError.Location {
        .lineColumn(line: table.lineNumbers[row], column: table.fieldColumns[row][column])
    }

    static func missingValueError(row: Int, column: Int, in table: CSVTable, path: String?, what: String) -> DataError {
        let hint = what == "target" ? "rows without a target cannot be used" : "fill it, or train with --impute mean or --impute median"
        return DataError(.missingValue, path: path, at: location(row: row, column: column, in: table),
                         "missing value \"\(table.rows[row][column])\" in \(what) column \"\(table.header[column])\" (row \(row + 1)); \(hint)")
    }
}

/// A CSV table encoded by a ``TabularSchema``.
public struct EncodedTable: Sendable {
    /// The encoded features, `[rows, schema.featureCount]`, not standardised.
    public var features: Tensor<Float>
    /// The targets, when the table has the target column.
    public var targets: SupervisedTargets?
    /// The class names of the schema.
    public var classNames: [String]
    /// For each categorical column with values the training file did not have, how many rows hold
    /// one (they are encoded as all zeros).
    public var unseenCategories: [String: Int]

    /// The table as a dataset; nil without targets.
    public var dataset: SupervisedDataset? {
        targets.map { SupervisedDataset(features: features, targets: $0, classNames: classNames) }
    }
}

extension CSV {
    /// Reads and parses the CSV file at `url` (see ``parse(_:path:delimiter:)``).
    /// - Throws: `DataError` naming the file: `.io` when it cannot be read, or a parse error.
    public static func readTable(contentsOf url: URL) throws -> CSVTable {
        try parse(FileIO.readAll(url), path: url.path)
    }
}
