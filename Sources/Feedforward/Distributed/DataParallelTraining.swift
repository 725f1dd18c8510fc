import Foundation

/// Data-parallel training: every rank holds the whole model and the whole data set, draws the same
/// permutation of the examples each epoch (from the generator they share), trains on its share of
/// each global batch, and applies the same update, the gradient of the mean loss over the global
/// batch, after one allreduce per step.
extension TrainingSession {
    /// The positions, within a global batch of `count` examples, that rank `rank` of `size` trains on:
    /// consecutive shares whose sizes differ by at most one, empty for some ranks when `count < size`.
    public static func share(ofBatchOf count: Int, rank: Int, size: Int) -> Range<Int> {
        precondition(size > 0 && (0..<size).contains(rank) && count >= 0, "share: rank \(rank) of \(size), \(count) examples")
        return (count * rank / size)..<(count * (rank + 1) / size)
    }

    /// The training loss over the global batch `batch` (indices into `training`; the data loss plus
    /// the L2 penalty) and the gradients of its mean, computed by ``Trainer`` on this rank's share and
    /// summed over the ranks in one fused buffer. With one rank, exactly the loss and gradients of the
    /// whole batch.
    mutating func batchLossAndGradients(
        _ batch: [Int], of training: SupervisedDataset
    ) -> (loss: Double, gradients: ParameterGradients<Float>) {
        withTrainer { trainer in
            let (loss, penalty, gradients) = trainer.lossAndGradients(ofBatchAt: batch, in: training)
            return (loss + penalty, gradients)
        }
    }

    /// Reads a checkpoint on rank 0 and sends its bytes to every rank, so that all ranks resume from
    /// the same state (parameters, optimizer state, step, random state) and only rank 0 needs the file.
    /// - Throws: as ``load(from:)``, on rank 0 for a file it cannot read, on every rank for one it cannot decode.
    public static func load(from url: URL, over communicator: any Communicator) throws -> TrainingSession {
        var bytes: [UInt8] = []
        if communicator.isRoot { bytes = try FileIO.readAll(url) }
        communicator.broadcastBytes(&bytes)
        var session = try decode(bytes, path: url.path)
        session.communicator = communicator
        return session
    }

    /// Makes this session's parameters, random state and counters those of rank `root` on every rank,
    /// and sets its communicator. Optimizer state is not sent: start from a fresh session, or load a
    /// session in progress with ``load(from:over:)``.
    public mutating func synchronize(over communicator: any Communicator, from root: Int = 0) {
        self.communicator = communicator
        guard communicator.size > 1 else { return }
        precondition(optimizer.state.isEmpty, "synchronize(over:) sends no optimizer state; use load(from:over:) to resume")
        var flat = Self.flattenedParameters(of: model)
        communicator.broadcast(&flat, from: root)
        var offset = 0
        model.visitParameters { _, parameter in
            parameter = Tensor(shape: parameter.shape, flat[offset..<(offset + parameter.scalarCount)])
            offset += parameter.scalarCount
        }
        var counters = generator.state + [UInt64(epoch), UInt64(step)]
        communicator.broadcast(&counters, from: root)
        generator = SeededRandomNumberGenerator(state: Array(counters[0..<4]))!
        epoch = Int(counters[4])
        step = Int(counters[5])
    }

    /// Checks that every rank holds bit for bit the parameters of rank 0 (one broadcast and one
    /// allreduce of a count).
    /// - Throws: ``CommunicatorError/ranksDisagree(_:)`` on every rank when any rank differs.
    public func checkParametersAgree() throws(CommunicatorError) {
        guard communicator.size > 1 else { return }
        let mine = Self.flattenedParameters(of: model)
        var root = mine
        communicator.broadcast(&root)
        let differing = zip(mine, root).filter { $0.bitPattern != $1.bitPattern }.count
        var counts = [Double(differing)]
        communicator.allreduceSum(&counts)
        if counts[0] > 0 {
            throw .ranksDisagree("\(Int(counts[0])) parameter values differ from rank 0's (summed over the ranks)")
        }
    }

    /// Checks that every rank loaded the same data as rank 0 (count and two checksums of the features
    /// and targets), since each rank reads its own copy.
    /// - Throws: ``CommunicatorError/ranksDisagree(_:)`` on every rank when any rank's data differs.
    public func checkSameData(_ dataset: SupervisedDataset, named name: String) throws(CommunicatorError) {
        guard communicator.size > 1 else { return }
        let mine = Self.fingerprint(of: dataset)
        var root = mine
        communicator.broadcast(&root)
        var differing = [mine == root ? 0.0 : 1.0]
        communicator.allreduceSum(&differing)
        if differing[0] > 0 {
            throw .ranksDisagree("\(Int(differing[0])) rank(s) loaded other \(name) data than rank 0; every machine needs the same data at the same path")
        }
    }

    /// The model's parameters in visiting order, in one array.
    static func flattenedParameters(of model: Sequential<Float>) -> [Float] {
        var flat: [Float] = []
        flat.reserveCapacity(model.parameterCount)
        for (_, value) in model.parameters { value.withUnsafeBufferPointer { flat.append(contentsOf: $0) } }
        return flat
    }

    /// The example count and position-weighted sums of the stored features (floats, or image bytes
    /// without converting them) and of the targets.
    static func fingerprint(of dataset: SupervisedDataset) -> [Double] {
        func sums<Values: Collection>(_ values: Values) -> [Double] where Values.Element: BinaryFloatingPoint {
            var (plain, weighted, position) = (0.0, 0.0, 0)
            for value in values {
                plain += Double(value)
                weighted += Double(value) * Double(position % 1021 + 1)
                position += 1
            }
            return [plain, weighted]
        }
        let features: [Double]
        switch dataset.storage {
        case .floats(let tensor): features = tensor.withUnsafeBufferPointer { sums($0) }
        case .bytes(let bytes): features = sums(bytes.lazy.map(Float.init))
        }
        let targets: [Double]
        switch dataset.targets {
        case .classes(let labels, let classCount):
            targets = [Double(classCount)] + sums(labels.lazy.map(Double.init))
        case .values(let values):
            targets = values.withUnsafeBufferPointer { sums($0) }
        }
        return [Double(dataset.count)] + features + targets
    }
}
