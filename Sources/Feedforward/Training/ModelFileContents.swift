import Foundation

/// What a model file written by this library holds. All three kinds are safetensors files; the
/// metadata tells them apart, so `feedforward info` describes any of them.
///
/// - A ``TrainingSession`` checkpoint (`feedforward train --save`, ``TrainingSession/save(to:)``)
///   describes its network, so `evaluate` and `predict` can rebuild and run it.
/// - A ``Trainer`` checkpoint holds a model whose architecture is Swift code: it is restored with
///   ``Trainer/restore(from:)`` in a program that builds the same model type.
/// - A parameter file (``Layer/saveParameters(to:metadata:)``) holds parameters and nothing else.
public enum ModelFileContents: Sendable {
    /// A training session checkpoint, decoded and validated.
    case trainingSession(TrainingSession)
    /// A ``Trainer`` checkpoint: its description, the model's parameters (without the `model.`
    /// prefix) and the number of optimizer-state tensors.
    case trainerCheckpoint(TrainerCheckpointHeader, parameters: [StoredTensor], optimizerTensorCount: Int)
    /// A plain parameter file: its tensors and metadata.
    case parameters([StoredTensor], metadata: [String: String])

    /// Reads and classifies the file at `url`.
    /// - Throws: `DataError` when it is not a well-formed safetensors file, ``CheckpointError`` when
    ///   it is a checkpoint whose description is invalid.
    public static func read(from url: URL) throws -> ModelFileContents {
        let bytes = try FileIO.readAll(url)
        let file = try SafeTensors.decode(bytes, path: url.path)
        if file.metadata?[TrainingSession.metadataKey] != nil {
            return .trainingSession(try TrainingSession.decode(bytes, path: url.path))
        }
        func tensors(withPrefix prefix: String) -> [StoredTensor] {
            file.tensors.compactMap { name, entry in
                name.hasPrefix(prefix)
                    ? StoredTensor(name: String(name.dropFirst(prefix.count)), dataType: entry.dtype.rawValue, shape: entry.shape)
                    : nil
            }.sorted { $0.name.localizedStandardCompare($1.name) == .orderedAscending }
        }
        if let header = try TrainerCheckpointHeader.read(from: file, path: url.path) {
            return .trainerCheckpoint(
                header, parameters: tensors(withPrefix: "model."),
                optimizerTensorCount: file.tensors.keys.filter { $0.hasPrefix("optimizer.") }.count)
        }
        return .parameters(tensors(withPrefix: ""), metadata: file.metadata ?? [:])
    }
}

/// The name, element type and shape of a tensor stored in a file.
public struct StoredTensor: Sendable, Equatable {
    /// The tensor's name in the file (without a checkpoint's `model.` prefix).
    public var name: String
    /// The safetensors dtype, such as `F32`.
    public var dataType: String
    /// The tensor's shape.
    public var shape: [Int]

    /// The number of elements.
    public var scalarCount: Int { shape.reduce(1, *) }
}
