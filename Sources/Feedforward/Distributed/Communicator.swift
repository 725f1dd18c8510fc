/// The processes that train one model together, and the collective operations they use: every
/// process (a *rank*) calls each operation in the same order, and each call returns only when all
/// ranks have made it.
///
/// ``SingleProcessCommunicator`` is a world of one process; ``OpenMPICommunicator`` is
/// `MPI_COMM_WORLD` of a job started by `mpirun`. A custom data-parallel loop sums its gradients
/// over the ranks with ``allreduceMean(_:localCount:globalCount:)`` (or sums them with
/// ``allreduceSum(_:)-(ParameterGradients<Scalar>)``):
///
/// ```swift
/// let (loss, gradients) = valueWithGradient(at: model) { model in
///     crossEntropy(logits: model(myShare), labels: myLabels)   // the mean over my examples
/// }
/// var global = gradients
/// communicator.allreduceMean(&global, localCount: myLabels.count, globalCount: batchSize)
/// optimizer.update(&model, along: global)                          // the same update on every rank
/// ```
///
/// Errors inside a collective are fatal: the whole job ends (MPI's default error handler), so no rank
/// waits for one that has failed.
public protocol Communicator: Sendable {
    /// This process's index, `0..<size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces `buffer` on every rank by the element-wise sum of all ranks' buffers (which must have
    /// the same length everywhere).
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// Replaces `buffer` on every rank by the element-wise sum of all ranks' buffers.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Copies the bytes of rank `root`'s buffer into every rank's buffer (of the same length).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int)
    /// Returns once every rank has called it.
    func barrier()
    /// Ends every process of the job with exit status `code`, without waiting for the other ranks.
    func abort(code: Int32) -> Never
    /// Seconds this process has spent inside ``allreduceSum(_:)-(UnsafeMutableBufferPointer<Float>)``
    /// calls, waiting for slower ranks included.
    var allreduceSeconds: Double { get }
}

/// Why a communicator could not be set up, or why its ranks disagree.
public enum CommunicatorError: Error, Equatable, CustomStringConvertible {
    /// No usable MPI library: the reason names what was tried.
    case unavailable(String)
    /// `MPI_Init_thread` failed with this error code.
    case initializationFailed(code: Int32)
    /// The ranks hold different data or parameters where they must hold the same.
    case ranksDisagree(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): return "distributed training needs Open MPI: \(reason)"
        case .initializationFailed(let code): return "MPI_Init_thread failed with error code \(code)"
        case .ranksDisagree(let what): return "the ranks disagree: \(what)"
        }
    }
}

extension Communicator {
    /// Whether this is rank 0, the one that prints and writes files.
    public var isRoot: Bool { rank == 0 }

    /// Replaces `array` on every rank by the element-wise sum over all ranks.
    public func allreduceSum<Scalar: TensorScalar>(_ array: inout [Scalar]) {
        guard size > 1 else { return }
        array.withUnsafeMutableBufferPointer { buffer in
            switch Scalar.dataType {
            case .float32:
                buffer.withMemoryRebound(to: Float.self) { allreduceSum($0) }
            case .float64:
                buffer.withMemoryRebound(to: Double.self) { allreduceSum($0) }
            }
        }
    }

    /// Replaces every gradient by its sum over all ranks, sending all of them as one fused buffer.
    public func allreduceSum<Scalar: TensorScalar>(_ gradients: inout ParameterGradients<Scalar>) {
        var none: [Scalar] = []
        allreduceSum(&gradients, weightedBy: 1, alongWith: &none)
    }

    /// Turns gradients of the mean loss over this rank's `localCount` examples into gradients of the
    /// mean over the whole batch of `globalCount` examples (every rank's share together): each rank's
    /// gradients are weighted by `localCount / globalCount` and summed over the ranks in one fused
    /// buffer. A rank with no examples passes zero gradients and takes part all the same.
    public func allreduceMean<Scalar: TensorScalar>(
        _ gradients: inout ParameterGradients<Scalar>, localCount: Int, globalCount: Int
    ) {
        precondition(globalCount > 0 && (0...globalCount).contains(localCount), "allreduceMean: \(localCount) of \(globalCount) examples")
        var none: [Scalar] = []
        allreduceSum(&gradients, weightedBy: Scalar(localCount) / Scalar(globalCount), alongWith: &none)
    }

    /// Sums `weight · gradients` and `extras` over all ranks in one fused buffer (the extras after
    /// the gradients). With one rank, the gradients and extras stay exactly as they are.
    ///
    /// The buffer is filled and emptied with whole-tensor memory copies and scaled by a loop on the
    /// concrete element type: element-wise generic code here, unspecialized behind the existential
    /// communicator, made a step of the 784-256-256-10 MLP ten times slower.
    func allreduceSum<Scalar: TensorScalar>(
        _ gradients: inout ParameterGradients<Scalar>, weightedBy weight: Scalar, alongWith extras: inout [Scalar]
    ) {
        guard size > 1, !(gradients.tensors.isEmpty && extras.isEmpty) else { return }
        let stride = MemoryLayout<Scalar>.stride
        let gradientCount = gradients.tensors.reduce(0) { $0 + $1.scalarCount }
        var fused = [Scalar](unsafeUninitializedCapacity: gradientCount + extras.count) { buffer, initialized in
            let bytes = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            for tensor in gradients.tensors {
                tensor.withUnsafeBufferPointer { values in
                    guard let source = values.baseAddress else { return }
                    (bytes.baseAddress! + offset).copyMemory(from: source, byteCount: values.count * stride)
                }
                offset += tensor.scalarCount * stride
            }
            extras.withUnsafeBytes { extraBytes in
                guard let source = extraBytes.baseAddress else { return }
                (bytes.baseAddress! + offset).copyMemory(from: source, byteCount: extraBytes.count)
            }
            initialized = gradientCount + extras.count
            if weight != 1 { Self.scale(bytes, count: gradientCount, as: Scalar.dataType, by: Double(weight)) }
        }
        allreduceSum(&fused)
        fused.withUnsafeBytes { bytes in
            var offset = 0
            let summed = gradients.tensors.map { tensor in
                let count = tensor.scalarCount
                let scalars = [Scalar](unsafeUninitializedCapacity: count) { buffer, initialized in
                    if let destination = buffer.baseAddress {
                        UnsafeMutableRawPointer(destination).copyMemory(from: bytes.baseAddress! + offset, byteCount: count * stride)
                    }
                    initialized = count
                }
                offset += count * stride
                return Tensor(shape: tensor.shape, scalars: scalars)
            }
            gradients = ParameterGradients(names: gradients.names, tensors: summed)
            extras = Array(fused[gradientCount...])
        }
    }

    /// Multiplies the first `count` elements of `bytes`, of type `type`, by `factor` (rounded to that type).
    private static func scale(_ bytes: UnsafeMutableRawBufferPointer, count: Int, as type: TensorDataType, by factor: Double) {
        switch type {
        case .float32:
            let values = bytes.bindMemory(to: Float.self)
            let factor = Float(factor)
            for index in 0..<count { values[index] *= factor }
        case .float64:
            let values = bytes.bindMemory(to: Double.self)
            for index in 0..<count { values[index] *= factor }
        }
    }

    /// Copies rank `root`'s array into every rank's array; the lengths must already agree.
    public func broadcast<Element: BitwiseCopyable>(_ array: inout [Element], from root: Int = 0) {
        guard size > 1 else { return }
        array.withUnsafeMutableBytes { broadcast($0, from: root) }
    }

    /// Copies rank `root`'s bytes to every rank, whatever length the other ranks held before.
    public func broadcastBytes(_ bytes: inout [UInt8], from root: Int = 0) {
        guard size > 1 else { return }
        var length = [UInt64(bytes.count)]
        broadcast(&length, from: root)
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(length[0])) }
        broadcast(&bytes, from: root)
    }
}
