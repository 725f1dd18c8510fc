import RealModule

extension Tensor {
    /// A tensor of `shape` with every element `value`.
    public init(repeating value: Scalar, shape: [Int]) {
        self.init(storage: TensorStorage(repeating: value, count: Shape.count(shape)), shape: shape)
    }

    /// Zeros of `shape`.
    public static func zeros(shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// Ones of `shape`.
    public static func ones(shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// Every element `value`.
    public static func full(shape: [Int], value: Scalar) -> Tensor { Tensor(repeating: value, shape: shape) }

    /// Zeros with the shape of `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(shape: other.shape) }

    /// `start, start + step, …` below `end` (above it for a negative step).
    public static func arange(from start: Scalar = 0, to end: Scalar, by step: Scalar = 1) -> Tensor {
        precondition(step != 0 && step.isFinite && start.isFinite && end.isFinite, "arange: invalid start \(start), end \(end) or step \(step)")
        var count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        // The rounded quotient can count one value too many (1 to 1.3 by 0.1); keep every value below `end`.
        if count > 0, step > 0 ? start + Scalar(count - 1) * step >= end : start + Scalar(count - 1) * step <= end {
            count -= 1
        }
        return Tensor(shape: [count], (0..<count).map { start + Scalar($0) * step })
    }

    /// `count` evenly spaced values from `start` to `end`, both included.
    public static func linspace(from start: Scalar, to end: Scalar, count: Int) -> Tensor {
        precondition(count >= 0, "linspace: negative count \(count)")
        if count == 1 { return Tensor([start]) }
        let step = (end - start) / Scalar(Swift.max(count - 1, 1))
        return Tensor(shape: [count], (0..<count).map { $0 == count - 1 ? end : start + Scalar($0) * step })
    }

    /// The `size × size` identity matrix.
    public static func identity(size: Int) -> Tensor {
        var scalars = [Scalar](repeating: 0, count: size * size)
        for i in 0..<size { scalars[i * size + i] = 1 }
        return Tensor(shape: [size, size], scalars: scalars)
    }

    /// Uniform values in `[lower, upper)` from `generator`. The same generator state gives the same
    /// values on every platform.
    public static func randomUniform<G: RandomNumberGenerator>(
        shape: [Int], lower: Scalar = 0, upper: Scalar = 1, using generator: inout G
    ) -> Tensor {
        let count = Shape.count(shape)
        let width = upper - lower
        return Tensor(shape: shape, (0..<count).map { _ in
            // Rounding (to Float, or of `lower + width * u`) can reach `upper`; keep the interval half-open.
            let value = lower + width * Scalar(unitInterval(&generator))
            return value >= upper && lower < upper ? upper.nextDown : value
        })
    }

    /// Normal values with the given mean and standard deviation (Box–Muller on `generator`).
    public static func randomNormal<G: RandomNumberGenerator>(
        shape: [Int], mean: Scalar = 0, standardDeviation: Scalar = 1, using generator: inout G
    ) -> Tensor {
        let count = Shape.count(shape)
        var values = [Scalar]()
        values.reserveCapacity(count + 1)
        while values.count < count {
            // 1 - u lies in (0, 1], so the logarithm is finite.
            let u = 1 - unitInterval(&generator)
            let v = unitInterval(&generator)
            let radius = (-2 * Double.log(u)).squareRoot()
            values.append(mean + standardDeviation * Scalar(radius * Double.cos(2 * .pi * v)))
            values.append(mean + standardDeviation * Scalar(radius * Double.sin(2 * .pi * v)))
        }
        return Tensor(shape: shape, values.prefix(count))
    }
}

/// A uniform double in `[0, 1)` from the top 53 bits of one 64-bit draw.
@inline(__always)
func unitInterval<G: RandomNumberGenerator>(_ generator: inout G) -> Double {
    Double(generator.next() >> 11) * 0x1p-53
}
