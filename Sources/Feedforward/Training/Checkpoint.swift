import Foundation

/// What a checkpoint file records beside the tensors (stored as JSON in the safetensors metadata).
struct CheckpointHeader: Codable {
    static let formatVersion = 1
    var format = CheckpointHeader.formatVersion
    var specification: NetworkSpecification
    var options: TrainingOptions
    var epoch: Int
    var step: Int
    var optimizerSteps: Int
    var generatorState: [UInt64]
    var history: [EpochRecord]
    var standardizer: Standardizer?
    var bestValidationLoss: Double?
    var epochsWithoutImprovement: Int
}

/// Why a checkpoint or model file could not be used.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String

    public var description: String { "\(path): \(message)" }
}

extension TrainingSession {
    static let metadataKey = "feedforward.checkpoint"
    static let modelPrefix = "model."
    static let optimizerPrefix = "optimizer."

    /// Writes the whole session (model, optimizer state, epoch, random state, history) to a
    /// safetensors file, atomically: a crash leaves either the previous file or the new one.
    /// The model's parameters are stored as `model.<name>` and readable by any safetensors reader.
    public func save(to url: URL) throws {
        var tensors: [String: SafeTensorsEntry] = [:]
        for (name, value) in model.parameters {
            tensors[Self.modelPrefix + name] = value.safeTensorsEntry
        }
        for (name, value) in optimizer.state {
            tensors[Self.optimizerPrefix + name] = value.safeTensorsEntry
        }
        let header = CheckpointHeader(
            specification: specification, options: options, epoch: epoch, step: step,
            optimizerSteps: optimizer.stepCount, generatorState: generator.state, history: history,
            standardizer: standardizer, bestValidationLoss: bestValidationLoss.isFinite ? bestValidationLoss : nil,
            epochsWithoutImprovement: epochsWithoutImprovement)
        let json = String(decoding: try JSONEncoder().encode(header), as: UTF8.self)
        try SafeTensors.write(SafeTensorsFile(tensors: tensors, metadata: [Self.metadataKey: json]), to: url)
    }

    /// Reads a session written by ``save(to:)``, validating every tensor against the network it describes.
    public static func load(from url: URL) throws -> TrainingSession {
        let file = try SafeTensors.read(contentsOf: url)
        let path = url.path
        guard let json = file.metadata?[metadataKey] else {
            throw CheckpointError(path: path, message: "not a Feedforward checkpoint (no '\(metadataKey)' metadata)")
        }
        let header: CheckpointHeader
        do {
            header = try JSONDecoder().decode(CheckpointHeader.self, from: Data(json.utf8))
        } catch {
            throw CheckpointError(path: path, message: "the checkpoint description is malformed: \(error)")
        }
        guard header.format == CheckpointHeader.formatVersion else {
            throw CheckpointError(path: path, message: "checkpoint format \(header.format) is not supported (expected \(CheckpointHeader.formatVersion))")
        }
        let spec = header.specification
        guard spec.inputSize > 0, spec.targetSize > 0, spec.hiddenSizes.allSatisfy({ $0 > 0 && $0 <= 1 << 20 }),
            spec.inputSize <= 1 << 24, spec.targetSize <= 1 << 20, spec.hiddenUnit != nil
        else {
            throw CheckpointError(path: path, message: "the network description is invalid")
        }
        guard let generator = SeededRandomNumberGenerator(state: header.generatorState) else {
            throw CheckpointError(path: path, message: "the random generator state is invalid")
        }
        var session = TrainingSession(specification: spec, options: header.options, standardizer: header.standardizer)
        var parameters: [String: Tensor<Float>] = [:]
        var optimizerState: [String: Tensor<Float>] = [:]
        for (name, entry) in file.tensors {
            guard let tensor = Tensor<Float>(safeTensorsEntry: entry) else {
                throw CheckpointError(path: path, message: "tensor '\(name)' has unsupported type \(entry.dtype.rawValue)")
            }
            if name.hasPrefix(modelPrefix) {
                parameters[String(name.dropFirst(modelPrefix.count))] = tensor
            } else if name.hasPrefix(optimizerPrefix) {
                optimizerState[String(name.dropFirst(optimizerPrefix.count))] = tensor
            } else {
                throw CheckpointError(path: path, message: "unexpected tensor '\(name)'")
            }
        }
        do {
            try session.model.loadParameters(parameters)
        } catch {
            throw CheckpointError(path: path, message: error.description)
        }
        let shapes = Dictionary(uniqueKeysWithValues: session.model.parameters.map { ($0.name, $0.value.shape) })
        for (key, value) in optimizerState {
            let owner = String(key.split(separator: ".").dropLast().joined(separator: "."))
            guard shapes[owner] == value.shape else {
                throw CheckpointError(path: path, message: "optimizer state '\(key)' does not match a parameter")
            }
        }
        session.optimizer.restore(state: optimizerState, stepCount: header.optimizerSteps)
        session.optimizer.learningRate = header.options.schedule.learningRate(at: header.step, base: header.options.learningRate)
        session.generator = generator
        session.epoch = header.epoch
        session.step = header.step
        session.history = header.history
        session.bestValidationLoss = header.bestValidationLoss ?? .infinity
        session.epochsWithoutImprovement = header.epochsWithoutImprovement
        return session
    }
}

/// Appends one JSON object per line to a file (the JSON Lines format).
public struct JSONLinesLog {
    let handle: FileHandle

    /// Opens `url` for appending, creating it if needed.
    public init(url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw CheckpointError(path: url.path, message: "cannot create the log file")
            }
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    /// Writes `value` as one line.
    public func append<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = try encoder.encode(value)
        data.append(0x0A)
        try handle.write(contentsOf: data)
    }
}
