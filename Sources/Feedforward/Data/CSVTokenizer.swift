/// One field of a CSV record, as offsets into the buffer being tokenized (no copy).
struct CSVField {
    /// The offset of the field's first byte (its opening quote when quoted).
    var start: Int
    /// The offsets of the field's content: inside the quotes when quoted.
    var contentStart: Int, contentEnd: Int
    /// Whether the content holds doubled quotes (`""`) that stand for one quote each.
    var hasDoubledQuotes: Bool
    /// The offset at which the line holding `start` begins (for columns in messages).
    var lineStart: Int
    /// The one-based line holding `start`.
    var line: Int

    /// The field's text, quotes undoubled.
    func text(in bytes: UnsafePointer<UInt8>) -> String {
        let content = UnsafeBufferPointer(start: bytes + contentStart, count: contentEnd - contentStart)
        guard hasDoubledQuotes else { return String(decoding: content, as: UTF8.self) }
        var undoubled: [UInt8] = []
        undoubled.reserveCapacity(content.count)
        var i = 0
        while i < content.count {
            undoubled.append(content[i])
            i += content[i] == UInt8(ascii: "\"") ? 2 : 1
        }
        return String(decoding: undoubled, as: UTF8.self)
    }

    /// The one-based column of `start`, counting Unicode scalars from the start of its line.
    func column(in bytes: UnsafePointer<UInt8>) -> Int {
        CSVTokenizer.column(of: start, lineStart: lineStart, in: bytes)
    }
}

/// Receives the records a `CSVTokenizer` finds, one field at a time.
protocol CSVRecordVisitor {
    /// The header row: the column names.
    mutating func visitHeader(_ names: [String]) throws
    /// Field `index` of the current data record (only indices below the header's field count).
    mutating func visitField(_ field: CSVField, index: Int, in bytes: UnsafePointer<UInt8>) throws
    /// The current data record is complete: it started on `line` and has the header's field count.
    mutating func endRecord(line: Int) throws
    /// The current data record was cut by the end of the buffer: forget the fields seen since it began.
    mutating func discardRecord()
    /// Told how many bytes of the file have been tokenized so far (to size buffers).
    mutating func noteProgress(bytesRead: Int)
}

/// The RFC 4180 tokenizer shared by every CSV reader: comma-separated fields (the delimiter is
/// configurable), fields in double quotes that may hold delimiters, line breaks and doubled quotes,
/// records ending with LF, CRLF or CR, empty lines skipped.
///
/// It reads a buffer of validated UTF-8 and may be fed the file block by block: `tokenize` stops
/// before a record the buffer does not hold completely and returns where it stopped, so that the
/// caller can keep those bytes and append the next block. Errors carry the line and column (in
/// Unicode scalars) of the offending byte and are reported in file order.
struct CSVTokenizer {
    /// The file named in errors.
    let path: String?
    /// The field separator.
    let delimiter: UInt8
    /// The one-based line at which the next buffer starts.
    private(set) var line = 1
    /// The header's field count, once the header has been read.
    private(set) var fieldCount: Int? = nil
    /// Bytes at which the unquoted scan stops: 1 for the delimiter, quote, LF and CR.
    private let stops: [Bool]

    static let quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")

    /// Creates a tokenizer for a file whose first byte is on line `line` (1 for a whole file).
    init(path: String?, delimiter: UInt8, line: Int = 1, fieldCount: Int? = nil) {
        self.path = path
        self.delimiter = delimiter
        self.line = line
        self.fieldCount = fieldCount
        var stops = [Bool](repeating: false, count: 256)
        for byte in [delimiter, Self.quote, Self.lf, Self.cr] { stops[Int(byte)] = true }
        self.stops = stops
    }

    /// Tokenizes `count` bytes that begin at a line start. When `isFinal` is false, stops before
    /// a record that may continue past the buffer and returns its offset; otherwise returns `count`.
    /// - Throws: `DataError` (`.malformedQuotedField`, `.raggedRow`, or whatever `visitor` throws).
    mutating func tokenize<Visitor: CSVRecordVisitor>(_ bytes: UnsafePointer<UInt8>, count end: Int, isFinal: Bool,
                                                      visitor: inout Visitor) throws -> Int {
        let quote = Self.quote, lf = Self.lf, cr = Self.cr, delimiter = self.delimiter
        var i = 0
        var lineStart = 0
        let stopTable = stops
        return try stopTable.withUnsafeBufferPointer { stops in
            while true {
                // Line breaks between records (empty lines).
                while i < end {
                    let b = bytes[i]
                    if b == lf {
                        i += 1
                    } else if b == cr {
                        if i + 1 == end && !isFinal { return i }   // may be the first half of CRLF
                        i += i + 1 < end && bytes[i + 1] == lf ? 2 : 1
                    } else {
                        break
                    }
                    line += 1
                }
                if i == end { return end }
                let recordStart = i, recordLine = line
                lineStart = i
                var index = 0
                var extraFieldColumn: Int? = nil   // the column of the first field past the header's count
                var lastField = CSVField(start: i, contentStart: i, contentEnd: i, hasDoubledQuotes: false, lineStart: i, line: line)
                // Fields of one record.
                while true {
                    var field = CSVField(start: i, contentStart: i, contentEnd: i, hasDoubledQuotes: false,
                                         lineStart: lineStart, line: line)
                    if i < end && bytes[i] == quote {
                        i += 1
                        field.contentStart = i
                        var closed = false
                        while i < end {
                            let b = bytes[i]
                            if b == quote {
                                if i + 1 < end && bytes[i + 1] == quote { field.hasDoubledQuotes = true; i += 2; continue }
                                if i + 1 == end && !isFinal { break }   // "" may be split by the buffer's end
                                closed = true
                                break
                            }
                            if b == lf || (b == cr && !(i + 1 < end && bytes[i + 1] == lf)) {
                                if b == cr && i + 1 == end && !isFinal { break }
                                line += 1
                                lineStart = i + 1
                            }
                            i += 1
                        }
                        guard closed else {
                            if !isFinal { return rollBack(to: recordStart, line: recordLine, &visitor) }
                            throw DataError(.malformedQuotedField, path: path,
                                            at: .lineColumn(line: field.line, column: field.column(in: bytes)),
                                            "the quoted field opened here is never closed")
                        }
                        field.contentEnd = i
                        i += 1
                        if i < end {
                            let b = bytes[i]
                            if b != delimiter && b != lf && b != cr {
                                throw DataError(.malformedQuotedField, path: path,
                                                at: .lineColumn(line: line, column: Self.column(of: i, lineStart: lineStart, in: bytes)),
                                                "expected a delimiter or the end of the line after a closing quote")
                            }
                        }
                    } else {
                        while i < end && !stops[Int(bytes[i])] { i += 1 }
                        if i < end && bytes[i] == quote {
                            throw DataError(.malformedQuotedField, path: path,
                                            at: .lineColumn(line: line, column: Self.column(of: i, lineStart: lineStart, in: bytes)),
                                            "a quote inside an unquoted field; quote the whole field and double inner quotes")
                        }
                        field.contentEnd = i
                    }
                    if i == end && !isFinal { return rollBack(to: recordStart, line: recordLine, &visitor) }
                    if let fieldCount {
                        if index < fieldCount {
                            try visitor.visitField(field, index: index, in: bytes)
                        } else if index == fieldCount {
                            extraFieldColumn = field.column(in: bytes)
                        }
                    } else {
                        headerNames.append(field.text(in: bytes))
                    }
                    lastField = field
                    index += 1
                    if i < end && bytes[i] == delimiter { i += 1; continue }
                    break
                }
                // The record ends here: at a line break or at the end of a final buffer.
                if i < end && bytes[i] == cr && i + 1 == end && !isFinal {
                    return rollBack(to: recordStart, line: recordLine, &visitor)
                }
                if let fieldCount {
                    guard index == fieldCount else {
                        throw DataError(.raggedRow, path: path,
                                        at: .lineColumn(line: recordLine, column: extraFieldColumn ?? lastField.column(in: bytes)),
                                        "expected \(fieldCount) fields as in the header, found \(index)")
                    }
                    try visitor.endRecord(line: recordLine)
                } else {
                    fieldCount = index
                    let names = headerNames
                    headerNames = []
                    try visitor.visitHeader(names)
                }
                if i < end {
                    i += bytes[i] == cr && i + 1 < end && bytes[i + 1] == lf ? 2 : 1
                    line += 1
                }
            }
        }
    }

    /// The header's names while the header row is being read.
    private var headerNames: [String] = []

    private mutating func rollBack<Visitor: CSVRecordVisitor>(to offset: Int, line recordLine: Int, _ visitor: inout Visitor) -> Int {
        line = recordLine
        if fieldCount == nil { headerNames = [] } else { visitor.discardRecord() }
        return offset
    }

    /// The one-based column of `offset`: one plus the Unicode scalars between `lineStart` and it.
    static func column(of offset: Int, lineStart: Int, in bytes: UnsafePointer<UInt8>) -> Int {
        var column = 1
        for i in lineStart..<offset where bytes[i] & 0xC0 != 0x80 { column += 1 }
        return column
    }

    /// The line and column of `offset`, counting from a line start at offset 0 that is on line `line`.
    static func lineAndColumn(of offset: Int, in bytes: UnsafePointer<UInt8>, firstLine: Int) -> (line: Int, column: Int) {
        var line = firstLine, lineStart = 0
        var i = 0
        while i < offset {
            let b = bytes[i]
            if b == lf || (b == cr && !(i + 1 < offset && bytes[i + 1] == lf)) {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        return (line, column(of: offset, lineStart: lineStart, in: bytes))
    }
}

/// UTF-8 validation for text readers.
enum UTF8Validation {
    /// The result of validating a buffer that may end inside a character.
    enum Outcome: Equatable {
        /// Every byte is part of well-formed UTF-8.
        case valid
        /// Well-formed up to this offset, where a character starts that the buffer cuts short.
        case incomplete(at: Int)
        /// The byte at this offset is not part of well-formed UTF-8.
        case invalid(at: Int)
    }

    /// Validates `count` bytes. With `isFinal` false, a character cut by the end is `.incomplete`.
    static func validate(_ bytes: UnsafePointer<UInt8>, count: Int, isFinal: Bool) -> Outcome {
        var i = 0
        while i < count {
            // ASCII runs eight bytes at a time.
            while i + 8 <= count && UnsafeRawPointer(bytes + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
            }
            guard i < count else { break }
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int, low: UInt8, high: UInt8   // the allowed range of the second byte
            switch b {
            case 0xC2...0xDF: (length, low, high) = (2, 0x80, 0xBF)
            case 0xE0: (length, low, high) = (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, low, high) = (3, 0x80, 0xBF)
            case 0xED: (length, low, high) = (3, 0x80, 0x9F)
            case 0xF0: (length, low, high) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, low, high) = (4, 0x80, 0xBF)
            case 0xF4: (length, low, high) = (4, 0x80, 0x8F)
            default: return .invalid(at: i)
            }
            for k in 1..<length {
                guard i + k < count else { return isFinal ? .invalid(at: i) : .incomplete(at: i) }
                let c = bytes[i + k]
                guard k == 1 ? (low...high).contains(c) : c & 0xC0 == 0x80 else { return .invalid(at: i) }
            }
            i += length
        }
        return .valid
    }
}
