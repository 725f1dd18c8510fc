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
        if case .numeric(var columns, let targetIndex) = contents {
            contents = .table(Self.emptyTable)   // `columns` holds the only reference to the numbers now
            if let encoded = schema.encodeNumeric(&columns, target: targetIndex, requiresTarget: requiresTarget, splits: splits) {
                return (encoded, [:])
            }
            contents = .numeric(columns, target: targetIndex)
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
    /// extra, a target that is missing, not a number, or a class the schema does not have), and then
    /// `columns` is untouched. Otherwise `columns.numbers` is consumed (left empty): when the splits
    /// hold every row once and the columns are in the schema's order, the rows are arranged in place
    /// and each part's memory is given back as it is copied, so the file's numbers and the splits
    /// are not both held whole.
    func encodeNumeric(_ columns: inout CSVColumns, target: Int?, requiresTarget: Bool, splits: [[Int]]) -> [EncodedTable]? {
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

        let width = columns.numericColumns.count, rowCount = columns.rowCount
        let order = splits.flatMap { $0 }
        var features: [Tensor<Float>] = []
        if sources == Array(0..<width), let order = RowArrangement(order, rowCount: rowCount) {
            columns.numbers.withUnsafeMutableBufferPointer { numbers in
                let base = numbers.baseAddress!
                order.arrange(base, rowLength: width)
                var start = 0
                for rows in splits {
                    let part = Tensor<Float>(uninitializedShape: [rows.count, width])
                    MemoryRelease.move(from: base + start * width, to: part.storage.base, count: rows.count * width)
                    features.append(part)
                    start += rows.count
                }
            }
        } else {
            features = splits.map { rows in
                let part = Tensor<Float>(uninitializedShape: [rows.count, sources.count])
                columns.numbers.withUnsafeBufferPointer { numbers in
                    var destination = part.storage.base
                    for row in rows {
                        let source = numbers.baseAddress! + row * width
                        for (k, position) in sources.enumerated() { destination[k] = source[position] }
                        destination += sources.count
                    }
                }
                return part
            }
        }
        columns.numbers = []
        return zip(splits, features).map { rows, part in
            EncodedTable(features: part, targets: targets.map { $0.gathering(rows) }, classNames: classNames,
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

/// A permutation of the rows of a row-major matrix, applied in place.
struct RowArrangement {
    /// Row `i` of the arranged matrix is row `order[i]` of the original.
    let order: [Int]

    /// The arrangement that puts `order`'s rows first to last; nil unless `order` holds each of
    /// `0..<rowCount` exactly once.
    init?(_ order: [Int], rowCount: Int) {
        guard order.count == rowCount else { return nil }
        var seen = [Bool](repeating: false, count: rowCount)
        for row in order {
            guard row >= 0 && row < rowCount && !seen[row] else { return nil }
            seen[row] = true
        }
        self.order = order
    }

    /// Arranges the rows of `matrix` (`order.count` rows of `rowLength`) in place, cycle by cycle,
    /// with one row of scratch memory.
    func arrange(_ matrix: UnsafeMutablePointer<Float>, rowLength: Int) {
        guard rowLength > 0 else { return }
        var placed = [Bool](repeating: false, count: order.count)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: rowLength)
        defer { scratch.deallocate() }
        for start in order.indices where !placed[start] && order[start] != start {
            scratch.update(from: matrix + start * rowLength, count: rowLength)
            var row = start
            while order[row] != start {
                (matrix + row * rowLength).update(from: matrix + order[row] * rowLength, count: rowLength)
                placed[row] = true
                row = order[row]
            }
            (matrix + row * rowLength).update(from: scratch, count: rowLength)
            placed[row] = true
        }
    }
}

/// Copies that give the source's memory back to the system as they go.
enum MemoryRelease {
    /// The bytes copied between two releases.
    static let chunkBytes = 1 << 20

    /// Copies `count` floats from `source` to `destination` in chunks, returning each whole page of
    /// the source to the system once it is copied: the source's contents are lost (its pages read
    /// as zeros afterwards), but it stays valid memory for its owner to free.
    static func move(from source: UnsafeMutablePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let chunk = chunkBytes / MemoryLayout<Float>.stride
        var done = 0
        var released = (Int(bitPattern: source) + pageSize - 1) / pageSize * pageSize   // the first whole page
        while done < count {
            let n = Swift.min(chunk, count - done)
            (destination + done).update(from: source + done, count: n)
            done += n
            let copied = Int(bitPattern: source + done) / pageSize * pageSize
            if copied > released {
                _ = madvise(UnsafeMutableRawPointer(bitPattern: released), copied - released, MADV_DONTNEED)
                released = copied
            }
        }
    }
}
