/// Errors for tensors built from outside data (arrays of the wrong length, invalid shapes).
public enum TensorShapeError: Error, Equatable, CustomStringConvertible {
    /// A dimension is negative.
    case negativeDimension(shape: [Int])
    /// The product of the dimensions does not fit in `Int`.
    case tooManyElements(shape: [Int])
    /// The number of scalars does not match the shape.
    case scalarCountMismatch(shape: [Int], expected: Int, actual: Int)
    /// Nested arrays of unequal lengths.
    case ragged(path: String)

    public var description: String {
        switch self {
        case .negativeDimension(let shape):
            return "shape \(shape) has a negative dimension"
        case .tooManyElements(let shape):
            return "shape \(shape) has more elements than fit in memory"
        case .scalarCountMismatch(let shape, let expected, let actual):
            return "shape \(shape) needs \(expected) scalars, got \(actual)"
        case .ragged(let path):
            return "nested arrays have unequal lengths at \(path)"
        }
    }
}

enum Shape {
    /// The element count of `shape`, or an error naming what is wrong with it.
    static func checkedCount(_ shape: [Int]) throws(TensorShapeError) -> Int {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { throw .negativeDimension(shape: shape) }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw .tooManyElements(shape: shape) }
            count = product
        }
        return count
    }

    /// The element count of a shape that a program built; traps on invalid shapes.
    static func count(_ shape: [Int]) -> Int {
        do {
            return try checkedCount(shape)
        } catch {
            preconditionFailure("invalid shape: \(error)")
        }
    }

    /// The NumPy broadcast of two shapes.
    static func broadcast(_ a: [Int], _ b: [Int], operation: String) -> [Int] {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(
                da == db || da == 1 || db == 1,
                "\(operation): shapes \(a) and \(b) do not broadcast")
            result[i] = da == 1 ? db : da
        }
        return result
    }

    /// An axis in `0..<rank`, accepting negative axes counted from the end.
    static func normalize(axis: Int, rank: Int, operation: String) -> Int {
        let result = axis < 0 ? axis + rank : axis
        precondition(result >= 0 && result < rank, "\(operation): axis \(axis) is out of range for rank \(rank)")
        return result
    }
}
