/// An error reading or writing a data file: what went wrong, in which file, and where in it.
///
/// Every reader in the `Data` module throws `DataError`. `kind` classifies the problem for code
/// that reacts to it; `description` is a complete message for people, for example
/// `train.csv:12:7: expected a number in column "age", found "n/a"`.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The class of problem.
    public enum Kind: Equatable, Sendable {
        /// The file could not be opened, read, written or renamed.
        case io
        /// The file holds no bytes at all.
        case emptyFile
        /// The file does not start with the format's magic number.
        case badMagic
        /// The header names a data type the reader does not know.
        case unsupportedDataType
        /// The header is malformed (bad rank, JSON, field, offsets and so on).
        case invalidHeader
        /// A size computed from the header does not fit in `Int`.
        case sizeOverflow
        /// The file ends before the data its header declares.
        case truncated
        /// The file has bytes after the data its header declares.
        case trailingBytes
        /// The data would be larger than the allowed limit.
        case tooLarge
        /// Compressed data is corrupt.
        case corruptCompressedData
        /// The file is compressed and zlib could not be loaded.
        case zlibUnavailable
        /// Two parts that must agree do not (image and label counts, shapes, byte counts).
        case mismatch
        /// A label is outside the allowed range of classes.
        case labelOutOfRange
        /// A text file is not valid UTF-8.
        case invalidUTF8
        /// A CSV record has a different number of fields from the header.
        case raggedRow
        /// A field that must be a number is not one.
        case nonNumericValue
        /// A CSV quoted field is malformed (unterminated, or text after the closing quote).
        case malformedQuotedField
        /// A requested column does not exist.
        case missingColumn
        /// A value is missing (an empty field, `NA`, `NaN`, `?`) where one is needed.
        case missingValue
    }

    /// A position inside a file.
    public enum Location: Equatable, Sendable, CustomStringConvertible {
        /// A zero-based byte offset (in the decompressed data for compressed files).
        case byteOffset(Int)
        /// A one-based line and column (the column counts Unicode scalars).
        case lineColumn(line: Int, column: Int)

        public var description: String {
            switch self {
            case .byteOffset(let offset): return "byte \(offset)"
            case .lineColumn(let line, let column): return "\(line):\(column)"
            }
        }
    }

    /// The class of problem.
    public var kind: Kind
    /// The file involved, when there is one.
    public var path: String?
    /// Where in the file the problem is, when known.
    public var location: Location?
    /// What is wrong and, where useful, what was expected.
    public var message: String

    /// Creates an error.
    public init(_ kind: Kind, path: String?, at location: Location? = nil, _ message: String) {
        self.kind = kind
        self.path = path
        self.location = location
        self.message = message
    }

    public var description: String {
        var prefix = path ?? "<data>"
        switch location {
        case .byteOffset(let offset)?: prefix += " at byte \(offset)"
        case .lineColumn(let line, let column)?: prefix += ":\(line):\(column)"
        case nil: break
        }
        return "\(prefix): \(message)"
    }
}
