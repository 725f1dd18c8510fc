// How element-wise kernels walk their buffers: the unary kernel split across threads, and the
// layouts of binary kernels with broadcasting. Run only through `Kernel.launch` (Dispatch.swift).

/// The unary kernel over `count` elements, split across threads when large.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func runUnary<Scalar: TensorScalar>(
    _ operation: UnaryOperation, _ parameter: Scalar, _ source: UnsafeMutablePointer<Scalar>,
    _ target: UnsafeMutablePointer<Scalar>, count: Int
) {
    // Transcendental functions pay for a second thread sooner than cheap arithmetic.
    let minimumPerThread: Int
    switch operation {
    case .negate, .square, .abs, .scale, .shift, .relu, .step, .sign: minimumPerThread = parallelMinimumPerThread
    default: minimumPerThread = parallelMinimumPerThread / 4
    }
    parallelChunks(count: count, minimumPerThread: minimumPerThread) { range in
        Scalar._applyUnary(
            operation, source + range.lowerBound, target + range.lowerBound, count: range.count, parameter: parameter)
    }
}

/// How a binary kernel walks its operands, decided once from their shapes.
struct BinaryLayout<Scalar: TensorScalar> {
    enum Walk {
        /// One flat run: equal shapes, or a single-element operand (stride 0).
        case flat(strideA: Int, strideB: Int)
        /// A row of the right operand repeated down the left one (a bias).
        case rightRepeated(row: Int)
        /// A row of the left operand repeated down the right one.
        case leftRepeated(row: Int)
        case general(BroadcastPlan)
    }

    let walk: Walk
    let count: Int

    @inline(__always)
    init(lhs: Tensor<Scalar>, rhs: Tensor<Scalar>, outputShape: [Int], count: Int) {
        self.count = count
        if lhs.scalarCount == count && rhs.scalarCount == count || lhs.scalarCount == 1 || rhs.scalarCount == 1 {
            walk = .flat(strideA: lhs.scalarCount == count ? 1 : 0, strideB: rhs.scalarCount == count ? 1 : 0)
        } else if lhs.scalarCount == count && rhs.rank < lhs.rank && lhs.shape.suffix(rhs.rank).elementsEqual(rhs.shape) {
            walk = .rightRepeated(row: rhs.scalarCount)
        } else if rhs.scalarCount == count && lhs.rank < rhs.rank && rhs.shape.suffix(lhs.rank).elementsEqual(lhs.shape) {
            walk = .leftRepeated(row: lhs.scalarCount)
        } else {
            walk = .general(BroadcastPlan(lhsShape: lhs.shape, rhsShape: rhs.shape, outputShape: outputShape))
        }
    }

    @inline(__always)
    func run(
        _ operation: BinaryOperation, _ a: UnsafeMutablePointer<Scalar>, _ b: UnsafeMutablePointer<Scalar>,
        _ y: UnsafeMutablePointer<Scalar>
    ) {
        switch walk {
        case .flat(let strideA, let strideB):
            // Large runs split across threads.
            parallelChunks(count: count) { range in
                binaryRow(
                    operation, a + range.lowerBound * strideA, strideA, b + range.lowerBound * strideB, strideB,
                    y + range.lowerBound, range.count)
            }
        case .rightRepeated(let row):
            for start in stride(from: 0, to: count, by: row) {
                binaryRow(operation, a + start, 1, b, 1, y + start, row)
            }
        case .leftRepeated(let row):
            for start in stride(from: 0, to: count, by: row) {
                binaryRow(operation, a, 1, b + start, 1, y + start, row)
            }
        case .general(let plan):
            Scalar._applyBinary(operation, a, b, y, plan: plan)
        }
    }
}
