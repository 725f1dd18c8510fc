/// An n-dimensional array of `Float` or `Double` with value semantics.
///
/// Storage is shared between copies until one is written to (copy-on-write). Scalars are stored in
/// row-major order. Operations on tensors that take part in differentiation record a node in the
/// computational graph (see ``GraphNode``); with nothing to differentiate, nothing is recorded.
///
/// ```swift
/// let a = Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
/// let b: Tensor<Float> = [[1, 0], [0, 1], [1, 1]]
/// let c = matmul(a, b)          // shape [2, 2]
/// print(c.scalars)              // [4.0, 5.0, 10.0, 11.0]
/// ```
public struct Tensor<Scalar: TensorScalar>: Sendable {
    @usableFromInline var storage: TensorStorage<Scalar>
    /// The size of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// Where this tensor sits in the computational graph, if it takes part in differentiation.
    @usableFromInline var edge: GraphEdge<Scalar>?

    @usableFromInline
    init(storage: TensorStorage<Scalar>, shape: [Int], edge: GraphEdge<Scalar>? = nil) {
        self.storage = storage
        self.shape = shape
        self.edge = edge
    }

    /// A tensor of the given shape with uninitialised elements, for kernels to fill.
    @usableFromInline
    init(uninitializedShape shape: [Int]) {
        self.init(storage: TensorStorage(uninitializedCount: Shape.count(shape)), shape: shape)
    }

    /// Creates a tensor from row-major scalars. The count must match the shape (a programmer error
    /// otherwise); use ``init(validatingShape:scalars:)`` for data from outside.
    public init(shape: [Int], scalars: [Scalar]) {
        do {
            try self.init(validatingShape: shape, scalars: scalars)
        } catch {
            preconditionFailure("Tensor(shape:scalars:): \(error)")
        }
    }

    /// Creates a tensor from row-major scalars, throwing if the shape is invalid or does not match
    /// the number of scalars.
    public init(validatingShape shape: [Int], scalars: [Scalar]) throws(TensorShapeError) {
        let count = try Shape.checkedCount(shape)
        guard count == scalars.count else {
            throw .scalarCountMismatch(shape: shape, expected: count, actual: scalars.count)
        }
        self.init(storage: TensorStorage(copying: scalars), shape: shape)
    }

    /// Creates a tensor of `shape` from any collection of scalars in row-major order.
    public init<C: Collection>(shape: [Int], _ scalars: C) where C.Element == Scalar {
        let count = Shape.count(shape)
        precondition(count == scalars.count, "Tensor(shape:_:): shape \(shape) needs \(count) scalars, got \(scalars.count)")
        self.init(storage: TensorStorage(copying: scalars), shape: shape)
    }

    /// A rank-0 tensor holding `value`.
    public init(_ value: Scalar) {
        self.init(storage: TensorStorage(repeating: value, count: 1), shape: [])
    }

    /// A rank-1 tensor holding `scalars`.
    public init(_ scalars: [Scalar]) {
        self.init(storage: TensorStorage(copying: scalars), shape: [scalars.count])
    }

    /// A rank-2 tensor from rows of equal length, throwing if they are ragged.
    public init(rows: [[Scalar]]) throws(TensorShapeError) {
        let width = rows.first?.count ?? 0
        for (index, row) in rows.enumerated() where row.count != width {
            throw .ragged(path: "row \(index)")
        }
        self.init(storage: TensorStorage(copying: rows.joined()), shape: [rows.count, width])
    }

    /// Converts between element types. The conversion is not differentiable.
    public init<Other: TensorScalar>(_ other: Tensor<Other>) {
        let result = TensorStorage<Scalar>(uninitializedCount: other.scalarCount)
        for i in 0..<other.scalarCount {
            result.base[i] = Scalar(other.storage.base[i])
        }
        self.init(storage: result, shape: other.shape)
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The number of elements.
    public var scalarCount: Int { storage.count }

    /// The elements in row-major order.
    public var scalars: [Scalar] {
        Array(UnsafeBufferPointer(start: storage.base, count: storage.count))
    }

    /// The only element of a tensor with one element (any rank).
    public var scalar: Scalar {
        precondition(scalarCount == 1, "scalar: tensor of shape \(shape) has \(scalarCount) elements")
        return storage.base[0]
    }

    /// The element at a full index, one entry per dimension.
    public subscript(element index: [Int]) -> Scalar {
        precondition(index.count == rank, "subscript(element:): index \(index) for shape \(shape)")
        var offset = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "subscript(element:): index \(index) out of range for shape \(shape)")
            offset = offset * shape[axis] + i
        }
        return storage.base[offset]
    }

    /// Calls `body` with the elements in row-major order.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: storage.count))
    }

    /// Calls `body` with mutable access to the elements, copying the storage first if it is shared.
    /// Writing detaches the tensor from the computational graph.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
    ) rethrows -> R {
        makeUnique()
        edge = nil
        return try body(UnsafeMutableBufferPointer(start: storage.base, count: storage.count))
    }

    /// Ensures this tensor is the only owner of its storage.
    @usableFromInline
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
    }

    /// Whether this tensor shares its storage with `other` (for tests of copy-on-write).
    public func sharesStorage(with other: Tensor) -> Bool { storage === other.storage }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        func format(_ offset: Int, _ axis: Int) -> String {
            if axis == rank { return "\(storage.base[offset])" }
            let stride = shape[(axis + 1)...].reduce(1, *)
            let parts = (0..<shape[axis]).map { format(offset + $0 * stride, axis + 1) }
            return "[" + parts.joined(separator: ", ") + "]"
        }
        if scalarCount > 1000 { return "Tensor(shape: \(shape))" }
        return scalarCount == 0 ? "Tensor(shape: \(shape), [])" : format(0, 0)
    }
}

/// An element of a nested array literal: a number or a nested array.
public indirect enum TensorLiteral<Scalar: TensorScalar>: ExpressibleByArrayLiteral, ExpressibleByFloatLiteral,
    ExpressibleByIntegerLiteral, Sendable
{
    /// A number.
    case scalar(Scalar)
    /// A nested array, one dimension down.
    case array([TensorLiteral])

    public init(floatLiteral value: Double) { self = .scalar(Scalar(value)) }
    public init(integerLiteral value: Int) { self = .scalar(Scalar(value)) }
    public init(arrayLiteral elements: TensorLiteral...) { self = .array(elements) }

    /// The shape and row-major scalars, or the path of the first ragged array.
    func flattened(path: String = "") throws(TensorShapeError) -> (shape: [Int], scalars: [Scalar]) {
        switch self {
        case .scalar(let value):
            return ([], [value])
        case .array(let elements):
            var inner: [Int]?
            var scalars: [Scalar] = []
            for (index, element) in elements.enumerated() {
                let (shape, values) = try element.flattened(path: path + "[\(index)]")
                if let inner, inner != shape { throw .ragged(path: path + "[\(index)]") }
                inner = shape
                scalars += values
            }
            return ([elements.count] + (inner ?? []), scalars)
        }
    }
}

extension Tensor: ExpressibleByArrayLiteral {
    /// Nested array literals build tensors of any rank: `[[1, 2], [3, 4]]` has shape `[2, 2]`.
    /// Ragged literals are a programmer error.
    public init(arrayLiteral elements: TensorLiteral<Scalar>...) {
        do {
            let (shape, scalars) = try TensorLiteral.array(elements).flattened()
            self.init(shape: shape, scalars: scalars)
        } catch {
            preconditionFailure("Tensor literal: \(error)")
        }
    }
}

extension Tensor: Equatable {
    /// Equal shapes and elements (NaN is unequal to itself, as for scalars).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && (0..<lhs.scalarCount).allSatisfy { lhs.storage.base[$0] == rhs.storage.base[$0] }
    }

    /// Whether both tensors have the same shape and their elements differ by at most
    /// `absoluteTolerance + relativeTolerance * |rhs|`.
    public func isApproximatelyEqual(
        to other: Tensor, absoluteTolerance: Scalar = 1e-6, relativeTolerance: Scalar = 1e-5
    ) -> Bool {
        guard shape == other.shape else { return false }
        for i in 0..<scalarCount {
            let a = storage.base[i]
            let b = other.storage.base[i]
            if a == b { continue }
            if a.isNaN && b.isNaN { continue }
            // NaN matches only NaN and an infinity only itself (the tolerance of an infinity is infinite).
            if a.isNaN || b.isNaN || !a.isFinite || !b.isFinite { return false }
            if Swift.abs(a - b) > absoluteTolerance + relativeTolerance * Swift.abs(b) { return false }
        }
        return true
    }
}
