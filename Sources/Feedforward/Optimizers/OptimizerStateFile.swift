import Foundation

// Saving and restoring an optimizer's state (velocities, moment estimates and the step count) on its
// own, for a hand-written training loop; ``Trainer`` checkpoints store the same tensors under
// `optimizer.`. A restored optimizer continues exactly as the saved one would have.

extension Optimizer {
    /// The state buffers as safetensors entries named `prefix` + key (`"0.weight.first"`, …), in
    /// `Scalar`'s dtype, bit for bit.
    public func stateEntries(prefix: String = "") -> [String: SafeTensorsEntry] {
        var entries: [String: SafeTensorsEntry] = [:]
        for (key, value) in state { entries[prefix + key] = value.safeTensorsEntry }
        return entries
    }

    /// Writes the state buffers and the step count to a safetensors file at `url`, atomically.
    ///
    /// ```swift
    /// try optimizer.saveState(to: URL(fileURLWithPath: "optimizer.safetensors"))
    /// // later, with a fresh optimizer of the same kind and the model it updates:
    /// try optimizer.loadState(from: URL(fileURLWithPath: "optimizer.safetensors"), for: model)
    /// ```
    /// - Throws: `DataError` of kind `.io`.
    public func saveState(to url: URL) throws {
        let metadata = [Self.stepCountMetadataKey: String(stepCount)]
        try SafeTensors.write(SafeTensorsFile(tensors: stateEntries(), metadata: metadata), to: url)
    }

    /// Restores state written by ``saveState(to:)`` for the optimizer of `model`: every buffer must
    /// belong to a parameter of `model` and have its shape; otherwise nothing is changed.
    /// - Throws: `DataError` when the file cannot be read, ``CheckpointError`` naming the file and the
    ///   first buffer that does not fit.
    public mutating func loadState(from url: URL, for model: some Layer<Scalar>) throws {
        let file = try SafeTensors.read(contentsOf: url)
        guard let text = file.metadata?[Self.stepCountMetadataKey], let steps = Int(text), steps >= 0 else {
            throw CheckpointError(path: url.path, message: "not an optimizer state file (no valid '\(Self.stepCountMetadataKey)' metadata)")
        }
        do {
            try restoreState(from: file.tensors, prefix: "", stepCount: steps, for: model)
        } catch {
            throw CheckpointError(path: url.path, message: error.message)
        }
    }

    /// Restores the buffers among `entries` whose names start with `prefix`, checking each against
    /// the parameter of `model` it belongs to (its name without the last component); nothing is
    /// changed when one does not fit.
    mutating func restoreState(
        from entries: [String: SafeTensorsEntry], prefix: String, stepCount: Int, for model: some Layer<Scalar>
    ) throws(OptimizerStateMismatch) {
        let shapes = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.value.shape) })
        var buffers: [String: Tensor<Scalar>] = [:]
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) where name.hasPrefix(prefix) {
            let key = String(name.dropFirst(prefix.count))
            let owner = key.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
            guard let shape = shapes[owner] else {
                throw OptimizerStateMismatch(message: "optimizer state '\(name)' belongs to no parameter of the model")
            }
            guard entry.shape == shape else {
                throw OptimizerStateMismatch(message: "optimizer state '\(name)' has shape \(entry.shape), parameter '\(owner)' has \(shape)")
            }
            guard let tensor = Tensor<Scalar>(safeTensorsEntry: entry) else {
                throw OptimizerStateMismatch(message: "optimizer state '\(name)' is stored as \(entry.dtype.rawValue), not a floating-point type")
            }
            buffers[key] = tensor
        }
        restore(state: buffers, stepCount: stepCount)
    }

    static var stepCountMetadataKey: String { "feedforward.optimizer.steps" }
}

/// Why stored optimizer state does not fit a model (wrapped in a ``CheckpointError`` naming the file).
struct OptimizerStateMismatch: Error {
    var message: String
}
