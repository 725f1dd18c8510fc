import Foundation

/// A CSV file read for a ``TabularSchema``, as cheaply as its contents allow.
///
/// The file is first streamed with every column but the target parsed straight to `Float` (the
/// target kept as text). Only when that is not enough for the schema's semantics (a field that is
/// not a number, a missing value, a categorical column, a target that needs a message, any read
/// error) is the file read again as a table of strings, and the table path decides, with its
/// messages. So a numeric file costs little more than its `Float`s, and every other file behaves
/// exactly as ``TabularSchema/init(fitting:target:regression:missingValues:statisticsRows:path:)``
/// and ``TabularSchema/encode(_:requiresTarget:path:)`` say.
struct TabularFile {
    /// How the file is held.
    private enum Contents {
        /// Every column but `target` is numeric; `target` (when the header has it) is text.
        case numeric(CSVColumns, target: Int?)
        /// The whole file as strings.
        case table(CSVTable)
    }

    let url: URL
    /// How messages about the schema name the file.
    let path: String
    private var contents: Contents

    /// Reads `url`, keeping the column that `target` names (when the header has it) as text;
    /// `path` names the file in the schema's messages.
    /// - Throws: `DataError` when the file cannot be read as a table of strings either.
    init(contentsOf url: URL, path: String, target: CSVColumn) throws {
        self.url = url
        self.path = path
        var targetIndex: Int?
        do {
            let columns = try CSV.readColumns(contentsOf: url) { header in
                targetIndex = try? CSV.index(of: target, in: header, path: nil)
                return targetIndex.map { [$0] } ?? []
            }
            contents = .numeric(columns, target: targetIndex)
        } catch is DataError {
            contents = .table(try CSV.readTable(contentsOf: url))
        }
    }

    /// The number of records after the header.
    var rowCount: Int {
        switch contents {
        case .numeric(let columns, _): return columns.rowCount
        case .table(let table): return table.rows.count
        }
    }

    /// Whether the file is held as streamed numbers (not as a table of strings).
    var isStreamed: Bool {
        if case .numeric = contents { return true }
        return false
    }

    /// Fits a schema as ``TabularSchema/init(fitting:target:regression:missingValues:statisticsRows:path:)``
    /// does on the file's table.
    /// - Throws: `DataError`, as that initialiser.
    mutating func fitSchema(target: CSVColumn, regression: Bool, missingValues: MissingValueStrategy,
                            statisticsRows: [Int]) throws -> TabularSchema {
        if case .numeric(let columns, let targetIndex) = contents, let targetIndex,
           let schema = TabularSchema(fittingNumeric: columns, target: targetIndex, regression: regression,
                                      missingValues: missingValues, statisticsRows: statisticsRows) {
            return schema
        }
        return try TabularSchema(fitting: table(), target: target, regression: regression, missingValues: missingValues,
                                 statisticsRows: statisticsRows, path: path)
    }

    /// Encodes the rows of each of `splits` (row indices, in order) as ``TabularSchema/encode(_:requiresTarget:path:)``
    /// does, without holding the whole file's encoding beside the splits when the file is numeric.
    /// Each split's `unseenCategories` is empty; `unseenCategories` counts them over the whole file.
    /// The file's contents are released, so that only the splits stay in memory.
    /// - Throws: `DataError`, as that method.
    mutating func encode(with schema: TabularSchema, requiresTarget: Bool,
                         splits: [[Int]]) throws -> (splits: [EncodedTable], unseenCategories: [String: Int]) {
        if case .numeric(let columns, let targetIndex) = contents,
           let encoded = schema.encodeNumeric(columns, target: targetIndex, requiresTarget: requiresTarget, splits: splits) {
            contents = .table(Self.emptyTable)
            return (encoded, [:])
        }
        let all = try schema.encode(table(), requiresTarget: requiresTarget, path: path)
        contents = .table(Self.emptyTable)
        let encoded = splits.map { rows in
            rows.elementsEqual(0..<all.features.shape[0])   // the whole file, shared rather than copied
                ? EncodedTable(features: all.features, targets: all.targets, classNames: all.classNames, unseenCategories: [:])
                : EncodedTable(features: all.features.gatheringRows(rows), targets: all.targets.map { $0.gathering(rows) },
                               classNames: all.classNames, unseenCategories: [:])
        }
        return (encoded, all.unseenCategories)
    }

    private static let emptyTable = CSVTable(header: [], rows: [], lineNumbers: [], fieldColumns: [])

    /// The whole file as strings, read now unless it already was.
    private mutating func table() throws -> CSVTable {
        if case .table(let table) = contents { return table }
        contents = .table(Self.emptyTable)   // frees the numbers first
        let table = try CSV.readTable(contentsOf: url)
        contents = .table(table)
        return table
    }
}

extension TabularSchema {
    /// A schema fitted on a file whose columns but `target` are all numeric, as the table path would
    /// fit it; nil where the table path must decide (a header of numbers or with a name twice, a
    /// missing target, a regression target that is not a number).
    init?(fittingNumeric columns: CSVColumns, target: Int, regression: Bool, missingValues: MissingValueStrategy,
          statisticsRows: [Int]) {
        let header = columns.header
        guard !header.allSatisfy({ Self.number($0) != nil }), Set(header).count == header.count,
              let labels = columns.text[target], !labels.contains(where: Self.isMissing) else { return nil }
        if regression {
            guard labels.allSatisfy({ Self.number($0) != nil }) else { return nil }
            self.target = .values
        } else {
            self.target = .classes(names: Self.sortedClassNames(Set(labels.map(Self.trimmed))))
        }
        targetColumn = header[target]
        self.missingValues = missingValues
        let width = columns.numericColumns.count
        featureColumns = columns.numericColumns.enumerated().map { position, column in
            let values = missingValues == .error ? [] : statisticsRows.map { columns.numbers[$0 * width + position] }
            return FeatureColumn(name: header[column], encoding: .numeric(fill: Self.fill(values, missingValues)))
        }
    }

    /// `splits` of a numeric file encoded as ``encode(_:requiresTarget:path:)`` would encode them;
    /// nil where that method must decide (a categorical column in the schema, a column missing or
    /// extra, a target that is missing, not a number, or a class the schema does not have).
    func encodeNumeric(_ columns: CSVColumns, target: Int?, requiresTarget: Bool, splits: [[Int]]) -> [EncodedTable]? {
        var numericPosition: [String: Int] = [:]
        for (position, column) in columns.numericColumns.enumerated() where numericPosition[columns.header[column]] == nil {
            numericPosition[columns.header[column]] = position
        }
        let known = Set(featureColumns.map(\.name) + [targetColumn])
        guard featureColumns.allSatisfy({ if case .numeric = $0.encoding { true } else { false } }),
              columns.header.allSatisfy(known.contains),
              !(requiresTarget && target == nil) else { return nil }
        var sources: [Int] = []
        for column in featureColumns {
            guard let position = numericPosition[column.name] else { return nil }
            sources.append(position)
        }

        var targets: SupervisedTargets?
        if requiresTarget, let target, let labels = columns.text[target] {
            switch self.target {
            case .values:
                var values: [Float] = []
                values.reserveCapacity(labels.count)
                for label in labels {
                    guard let value = Self.number(label) else { return nil }
                    values.append(value)
                }
                targets = .values(Tensor(shape: [values.count, 1], scalars: values))
            case .classes(let names):
                let numbering = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
                var classes: [Int] = []
                classes.reserveCapacity(labels.count)
                for label in labels {
                    guard let index = numbering[Self.trimmed(label)] else { return nil }
                    classes.append(index)
                }
                targets = .classes(classes, classCount: names.count)
            }
        }

        let width = columns.numericColumns.count
        let inFileOrder = sources == Array(0..<width)
        return splits.map { rows in
            let features = Tensor<Float>(uninitializedShape: [rows.count, sources.count])
            columns.numbers.withUnsafeBufferPointer { numbers in
                var destination = features.storage.base
                for row in rows {
                    let source = numbers.baseAddress! + row * width
                    if inFileOrder {
                        destination.update(from: source, count: width)
                    } else {
                        for (k, position) in sources.enumerated() { destination[k] = source[position] }
                    }
                    destination += sources.count
                }
            }
            return EncodedTable(features: features, targets: targets.map { $0.gathering(rows) }, classNames: classNames,
                                unseenCategories: [:])
        }
    }

    /// Reads the CSV file at `url` and encodes it as ``encode(_:requiresTarget:path:)`` encodes its
    /// table (same checks, same messages; `path`, by default the URL's, names the file in them); a
    /// file whose feature columns are all numeric is streamed straight to `Float`s instead of being
    /// held as strings.
    /// - Throws: `DataError` naming the file, as ``CSV/readTable(contentsOf:)`` and
    ///   ``encode(_:requiresTarget:path:)``.
    public func encode(contentsOf url: URL, requiresTarget: Bool, path: String? = nil) throws -> EncodedTable {
        var file = try TabularFile(contentsOf: url, path: path ?? url.path, target: .name(targetColumn))
        let encoded = try file.encode(with: self, requiresTarget: requiresTarget, splits: [Array(0..<file.rowCount)])
        var whole = encoded.splits[0]
        whole.unseenCategories = encoded.unseenCategories
        return whole
    }
}
