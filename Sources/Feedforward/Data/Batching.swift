/// Helpers for minibatch training on plain arrays: index splits and batch ranges.
public enum Minibatching {
    /// Splits `0..<count` at random into training and validation indices.
    ///
    /// The indices are permuted with `generator`, the first `validationCount` go to validation,
    /// the rest to training; each list is then sorted so rows are read in storage order.
    /// `validationCount` is `validationFraction * count` rounded to the nearest integer.
    public static func trainValidationSplit(
        count: Int, validationFraction: Double, using generator: inout SeededRandomNumberGenerator
    ) -> (train: [Int], validation: [Int]) {
        precondition(count >= 0, "count must not be negative")
        precondition(validationFraction >= 0 && validationFraction <= 1, "validationFraction must be in 0...1")
        let validationCount = min(count, Int((validationFraction * Double(count)).rounded()))
        let permutation = generator.permutation(count: count)
        return (permutation[validationCount...].sorted(), permutation[..<validationCount].sorted())
    }

    /// The ranges of consecutive batches covering `0..<count`: `0..<batchSize`,
    /// `batchSize..<2*batchSize`, and so on. The last batch is shorter when `count` is not a
    /// multiple of `batchSize`; `dropLast` omits it.
    public static func batchRanges(count: Int, batchSize: Int, dropLast: Bool = false) -> [Range<Int>] {
        precondition(count >= 0, "count must not be negative")
        precondition(batchSize > 0, "batchSize must be positive")
        var ranges: [Range<Int>] = []
        var start = 0
        while start < count {
            let end = count - start >= batchSize ? start + batchSize : count
            if end - start < batchSize && dropLast { break }
            ranges.append(start..<end)
            start = end
        }
        return ranges
    }

    /// The index batches of one epoch: `indices` shuffled with `generator`, then cut into
    /// batches of `batchSize` as `batchRanges` does.
    public static func shuffledBatches(
        of indices: [Int], batchSize: Int, dropLast: Bool = false, using generator: inout SeededRandomNumberGenerator
    ) -> [[Int]] {
        var order = indices
        generator.shuffle(&order)
        return batchRanges(count: order.count, batchSize: batchSize, dropLast: dropLast).map { Array(order[$0]) }
    }

    /// Gathers rows of a row-major matrix with `rowWidth` columns: the result holds
    /// `indices.count * rowWidth` elements, row `indices[k]` at position `k`.
    public static func gatherRows<Element>(_ matrix: [Element], rowWidth: Int, indices: [Int]) -> [Element] {
        precondition(rowWidth >= 0, "rowWidth must not be negative")
        precondition(rowWidth == 0 || matrix.count % rowWidth == 0, "matrix.count must be a multiple of rowWidth")
        var out: [Element] = []
        out.reserveCapacity(indices.count * rowWidth)
        for i in indices {
            precondition(i >= 0 && (i + 1) * rowWidth <= matrix.count, "row \(i) out of range")
            out.append(contentsOf: matrix[(i * rowWidth)..<((i + 1) * rowWidth)])
        }
        return out
    }
}
