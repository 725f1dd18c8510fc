import Foundation

/// A CSV file read column by column: the numeric columns as one row-major `Float` matrix, the
/// columns asked for as text as strings. Nothing else of the file is kept, so a large numeric file
/// costs little more than its `Float`s.
///
/// ```swift
/// let columns = try CSV.readColumns(contentsOf: url) { header in [header.count - 1] }   // last column as text
/// let features = columns.numbers                     // rowCount x numericColumns.count, row-major
/// let labels = columns.text[columns.header.count - 1]!
/// ```
public struct CSVColumns: Equatable, Sendable {
    /// The column names from the first row.
    public var header: [String]
    /// The indices (into `header`) of the numeric columns, in file order: the columns of `numbers`.
    public var numericColumns: [Int]
    /// The numeric columns, row-major: row `r` is `numbers[r * numericColumns.count ..< (r + 1) * numericColumns.count]`.
    public var numbers: [Float]
    /// The fields of each text column, by header index, one per row.
    public var text: [Int: [String]]
    /// The one-based line on which each record starts (for messages).
    public var lineNumbers: [Int]

    /// The number of records after the header.
    public var rowCount: Int { lineNumbers.count }

    /// Removes numeric column `column` (a header index) from `numbers` in place and returns its values.
    public mutating func removeNumericColumn(_ column: Int) -> [Float] {
        guard let position = numericColumns.firstIndex(of: column) else {
            preconditionFailure("column \(column) is not one of the numeric columns \(numericColumns)")
        }
        let width = numericColumns.count, rows = rowCount
        var removed = [Float](repeating: 0, count: rows)
        numbers.withUnsafeMutableBufferPointer { matrix in
            var write = 0
            for row in 0..<rows {
                for c in 0..<width {
                    let value = matrix[row * width + c]
                    if c == position { removed[row] = value } else { matrix[write] = value; write += 1 }
                }
            }
        }
        numbers.removeLast(rows)
        numericColumns.remove(at: position)
        return removed
    }
}

extension CSV {
    /// The size of the blocks in which files are read.
    static let blockSize = 1 << 20

    /// Reads a CSV file block by block into numbers and text (see `CSVColumns`).
    ///
    /// Every column that `textColumns` (given the header) does not name must hold a finite number
    /// in each record, by the rule of `CSV` (spaces around numbers are ignored); fields are parsed
    /// straight into the matrix, so memory stays close to `4 * rows * numericColumns` bytes.
    /// - Throws: `DataError`: `.io`, `.emptyFile`, `.invalidUTF8`, `.malformedQuotedField`, `.raggedRow`,
    ///   `.nonNumericValue` with line and column, or what `textColumns` throws.
    public static func readColumns(contentsOf url: URL, delimiter: Unicode.Scalar = ",",
                                   textColumns: ([String]) throws -> Set<Int>) throws -> CSVColumns {
        try readColumns(contentsOf: url, delimiter: delimiter, blockSize: blockSize, textColumns: textColumns)
    }

    /// `readColumns(contentsOf:delimiter:textColumns:)` with a chosen block size (tests use tiny ones).
    static func readColumns(contentsOf url: URL, delimiter: Unicode.Scalar, blockSize: Int,
                            textColumns: ([String]) throws -> Set<Int>) throws -> CSVColumns {
        let file = try FileIO.openRegularFile(url)
        return try withoutActuallyEscaping(textColumns) { textColumns in
            var sink = ColumnSink(path: file.path, expectedByteCount: file.reportedSize, textColumns: textColumns)
            try stream(file, delimiter: delimiter, blockSize: blockSize, visitor: &sink)
            return sink.result
        }
    }

    /// Reads CSV bytes into numbers and text; see `readColumns(contentsOf:delimiter:textColumns:)`.
    /// - Throws: `DataError`.
    public static func columns(from bytes: [UInt8], path: String? = nil, delimiter: Unicode.Scalar = ",",
                               textColumns: ([String]) throws -> Set<Int>) throws -> CSVColumns {
        try withoutActuallyEscaping(textColumns) { textColumns in
            var sink = ColumnSink(path: path, expectedByteCount: bytes.count, textColumns: textColumns)
            try scan(bytes, path: path, delimiter: delimiter, visitor: &sink)
            return sink.result
        }
    }

    // MARK: - Internals

    /// Tokenizes a whole file read block by block; a record may span blocks.
    static func stream<Visitor: CSVRecordVisitor>(_ file: borrowing FileIO.ReadableFile, delimiter: Unicode.Scalar,
                                                  blockSize: Int, visitor: inout Visitor) throws {
        precondition(blockSize > 0, "blockSize must be positive")
        var tokenizer = CSVTokenizer(path: file.path, delimiter: checkedDelimiter(delimiter))
        var capacity = max(blockSize, 4)   // room for a byte order mark and one character
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0, fileOffset = 0, atEnd = false, isFirstBlock = true
        while true {
            while filled < capacity && !atEnd {
                let n = try file.read(into: buffer + filled, count: capacity - filled)
                if n == 0 { atEnd = true } else { filled += n }
            }
            var start = 0
            if isFirstBlock {
                isFirstBlock = false
                if filled >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
            }
            let consumed = try tokenizeBlock(buffer + start, count: filled - start, isFinal: atEnd,
                                             fileOffset: fileOffset + start, tokenizer: &tokenizer, visitor: &visitor)
            let used = start + consumed
            visitor.noteProgress(bytesRead: fileOffset + used)
            if atEnd && used == filled { break }
            if used == 0 && filled == capacity {
                // One record longer than the buffer: make room for more of it.
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
                bigger.update(from: buffer, count: filled)
                buffer.deallocate()
                buffer = bigger
                capacity *= 2
            } else {
                memmove(buffer, buffer + used, filled - used)
                filled -= used
                fileOffset += used
            }
        }
        try requireHeader(tokenizer, path: file.path)
    }

    /// Tokenizes bytes held in memory.
    static func scan<Visitor: CSVRecordVisitor>(_ bytes: [UInt8], path: String?, delimiter: Unicode.Scalar,
                                                visitor: inout Visitor) throws {
        var tokenizer = CSVTokenizer(path: path, delimiter: checkedDelimiter(delimiter))
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress, buffer.count > start else { return }
            _ = try tokenizeBlock(base + start, count: buffer.count - start, isFinal: true, fileOffset: start,
                                  tokenizer: &tokenizer, visitor: &visitor)
        }
        try requireHeader(tokenizer, path: path)
    }

    static func checkedDelimiter(_ delimiter: Unicode.Scalar) -> UInt8 {
        precondition(delimiter.isASCII && delimiter != "\"" && delimiter != "\n" && delimiter != "\r",
                     "the delimiter must be an ASCII character other than a quote or a line break")
        return UInt8(delimiter.value)
    }

    static func requireHeader(_ tokenizer: CSVTokenizer, path: String?) throws {
        guard tokenizer.fieldCount != nil else {
            throw DataError(.emptyFile, path: path, "the file is empty, expected a header row")
        }
    }

    /// Validates a block's UTF-8 and tokenizes it; returns the bytes consumed. Problems are reported
    /// in file order: a record that ends before an invalid byte is read (and checked) first.
    static func tokenizeBlock<Visitor: CSVRecordVisitor>(_ bytes: UnsafePointer<UInt8>, count: Int, isFinal: Bool,
                                                         fileOffset: Int, tokenizer: inout CSVTokenizer,
                                                         visitor: inout Visitor) throws -> Int {
        switch UTF8Validation.validate(bytes, count: count, isFinal: isFinal) {
        case .valid:
            return try tokenizer.tokenize(bytes, count: count, isFinal: isFinal, visitor: &visitor)
        case .incomplete(let valid):
            return try tokenizer.tokenize(bytes, count: valid, isFinal: false, visitor: &visitor)
        case .invalid(let bad):
            let consumed = try tokenizer.tokenize(bytes, count: bad, isFinal: false, visitor: &visitor)
            let (line, column) = CSVTokenizer.lineAndColumn(of: bad - consumed, in: bytes + consumed, firstLine: tokenizer.line)
            throw DataError(.invalidUTF8, path: tokenizer.path, at: .lineColumn(line: line, column: column),
                            "invalid UTF-8 (byte \(fileOffset + bad) is \(IDX.hex(bytes[bad])))")
        }
    }
}

/// Collects the records of a CSV file into `CSVColumns`.
struct ColumnSink: CSVRecordVisitor {
    let path: String?
    let expectedByteCount: Int
    let textColumns: ([String]) throws -> Set<Int>
    var columns = CSVColumns(header: [], numericColumns: [], numbers: [], text: [:], lineNumbers: [])
    /// For each header column: its index among the numeric columns, or -1 - its index among the text columns.
    private var slots: [Int] = []
    private var textValues: [[String]] = []
    private var textHeaderColumns: [Int] = []
    private var pendingText: [String] = []
    private var numbersAtRecordStart = 0
    private var hasReserved = false

    init(path: String?, expectedByteCount: Int, textColumns: @escaping ([String]) throws -> Set<Int>) {
        self.path = path
        self.expectedByteCount = expectedByteCount
        self.textColumns = textColumns
    }

    mutating func visitHeader(_ names: [String]) throws {
        let text = try textColumns(names)
        columns.header = names
        var numeric = 0, textIndex = 0
        for column in names.indices {
            if text.contains(column) {
                slots.append(-1 - textIndex)
                textHeaderColumns.append(column)
                textIndex += 1
            } else {
                slots.append(numeric)
                columns.numericColumns.append(column)
                numeric += 1
            }
        }
        textValues = Array(repeating: [], count: textIndex)
        pendingText.reserveCapacity(textIndex)
    }

    mutating func visitField(_ field: CSVField, index: Int, in bytes: UnsafePointer<UInt8>) throws {
        if slots[index] < 0 {
            pendingText.append(field.text(in: bytes))
            return
        }
        let value = field.hasDoubledQuotes ? nil
            : NumberParsing.float(bytes + field.contentStart, count: field.contentEnd - field.contentStart)
        guard let value else {
            let text = field.text(in: bytes)
            let what = text.trimmingCharacters(in: .whitespaces).isEmpty ? "an empty field" : "\"\(text)\""
            throw DataError(.nonNumericValue, path: path, at: .lineColumn(line: field.line, column: field.column(in: bytes)),
                            "expected a finite number in column \"\(columns.header[index])\", found \(what)")
        }
        columns.numbers.append(value)
    }

    mutating func endRecord(line: Int) throws {
        columns.lineNumbers.append(line)
        for (k, value) in pendingText.enumerated() { textValues[k].append(value) }
        pendingText.removeAll(keepingCapacity: true)
        numbersAtRecordStart = columns.numbers.count
    }

    mutating func discardRecord() {
        columns.numbers.removeLast(columns.numbers.count - numbersAtRecordStart)
        pendingText.removeAll(keepingCapacity: true)
    }

    /// Reserves the matrix once the first records show how many bytes a row takes.
    mutating func noteProgress(bytesRead: Int) {
        guard !hasReserved, columns.rowCount > 0, bytesRead > 0 else { return }
        hasReserved = true
        let estimatedRows = Double(columns.rowCount) * Double(expectedByteCount) / Double(bytesRead) * 1.02 + 16
        let rows = Int(min(estimatedRows, Double(Int32.max)))
        columns.numbers.reserveCapacity(rows * columns.numericColumns.count)
        columns.lineNumbers.reserveCapacity(rows)
    }

    /// The columns read, text included.
    var result: CSVColumns {
        var result = columns
        for (k, column) in textHeaderColumns.enumerated() { result.text[column] = textValues[k] }
        return result
    }
}
