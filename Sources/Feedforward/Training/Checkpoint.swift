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
    var targetStandardizer: Standardizer?
    var schema: TabularSchema?
    var bestValidationLoss: Double?
    var epochsWithoutImprovement: Int
}

extension EpochRecord {
    /// The record with `seconds` and `samplesPerSecond` set to 0, as checkpoints store it.
    var withoutTimings: EpochRecord {
        var copy = self
        copy.seconds = 0
        copy.samplesPerSecond = 0
        return copy
    }
}

/// Why a checkpoint or model file could not be used.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file the problem is in.
    public var path: String
    /// What is wrong with it.
    public var message: String

    public var description: String { "\(path): \(message)" }
}

extension TrainingSession {
    static let metadataKey = "feedforward.checkpoint"
    static let modelPrefix = "model."
    static let optimizerPrefix = "optimizer."
    static let bestPrefix = "best."

    /// Writes the whole session (model, optimizer state, epoch, random state, history) to a
    /// safetensors file, atomically: a crash leaves either the previous file or the new one.
    /// The model's parameters are stored as `model.<name>` and readable by any safetensors reader.
    ///
    /// The bytes depend only on the session's state, not on when or how fast it ran: the history
    /// is stored without its timings (`seconds` and `samplesPerSecond` read back as 0; the JSON
    /// Lines log keeps them), so two runs that end with the same weights write identical files.
    ///
    /// A process killed inside a save leaves its temporary file, `.NAME.tmp-XXXXXX` beside the
    /// target `NAME`; the next save to the same target removes such files (only those that match
    /// the pattern exactly). Saving to one target from two processes at once is not supported.
    public func save(to url: URL) throws {
        var tensors: [String: SafeTensorsEntry] = [:]
        for (name, value) in model.parameters {
            tensors[Self.modelPrefix + name] = value.safeTensorsEntry
        }
        for (name, value) in optimizer.state {
            tensors[Self.optimizerPrefix + name] = value.safeTensorsEntry
        }
        for (name, value) in bestParameters ?? [:] {
            tensors[Self.bestPrefix + name] = value.safeTensorsEntry
        }
        let header = CheckpointHeader(
            specification: specification, options: options, epoch: epoch, step: step,
            optimizerSteps: optimizer.stepCount, generatorState: generator.state,
            history: history.map(\.withoutTimings),
            standardizer: standardizer, targetStandardizer: targetStandardizer, schema: schema,
            bestValidationLoss: bestValidationLoss.isFinite ? bestValidationLoss : nil,
            epochsWithoutImprovement: epochsWithoutImprovement)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(header), as: UTF8.self)
        Self.removeStaleTemporaries(of: url)
        try SafeTensors.write(SafeTensorsFile(tensors: tensors, metadata: [Self.metadataKey: json]), to: url)
    }

    /// Removes the temporary files an interrupted atomic write to `url` left: regular files named
    /// `.NAME.tmp-` followed by the six letters or digits `mkstemp` chooses.
    static func removeStaleTemporaries(of url: URL) {
        let directory = url.deletingLastPathComponent()
        let prefix = "." + url.lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where isTemporary(name, prefix: prefix) {
            let path = directory.appendingPathComponent(name).path
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
            unlink(path)
        }
    }

    static func isTemporary(_ name: String, prefix: String) -> Bool {
        guard name.hasPrefix(prefix) else { return false }
        let suffix = name.unicodeScalars.dropFirst(prefix.unicodeScalars.count)
        return suffix.count == 6 && suffix.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    /// Reads a session written by ``save(to:)``, validating every tensor against the network it describes.
    /// - Throws: `DataError` when the file is not a well-formed safetensors file, `CheckpointError`
    ///   when it is not a valid checkpoint. Both name the file.
    public static func load(from url: URL) throws -> TrainingSession {
        try decode(FileIO.readAll(url), path: url.path)
    }

    /// Decodes the bytes of a checkpoint written by ``save(to:)``; `path` names the source in errors.
    ///
    /// Everything the description claims is checked before the network is built: the sizes are
    /// bounded, and every parameter of the described network must be stored in the file with its
    /// shape, so a small file cannot make the reader allocate a large model.
    /// - Throws: `DataError` or `CheckpointError`, as ``load(from:)``.
    public static func decode(_ bytes: [UInt8], path: String = "<checkpoint>") throws -> TrainingSession {
        let file = try SafeTensors.decode(bytes, path: path)
        func fail(_ message: String) -> CheckpointError { CheckpointError(path: path, message: message) }
        guard let json = file.metadata?[metadataKey] else {
            if let trainer = try TrainerCheckpointHeader.read(from: file, path: path) {
                throw fail(trainer.network == nil
                    ? "a checkpoint of the library's Trainer, whose model is Swift code: restore it with Trainer.restore(from:); `feedforward info` describes it"
                    : "a checkpoint of the library's Trainer: continue it with Trainer.restore(from:); `feedforward evaluate` and `predict` run its network")
            }
            throw fail("not a Feedforward checkpoint (no '\(metadataKey)' metadata; `feedforward info` describes parameter files)")
        }
        let header: CheckpointHeader
        do {
            header = try JSONDecoder().decode(CheckpointHeader.self, from: Data(json.utf8))
        } catch {
            throw fail("the checkpoint description is malformed: \(error)")
        }
        guard header.format == CheckpointHeader.formatVersion else {
            throw fail("checkpoint format \(header.format) is not supported (expected \(CheckpointHeader.formatVersion))")
        }
        return try session(from: header, tensors: file.tensors, path: path)
    }

    /// Reads a model to evaluate or predict with: a checkpoint written by ``save(to:)``, or one
    /// written by a ``Trainer`` whose ``Trainer/network`` describes its model (its network, best
    /// weights and preprocessing are read; the optimizer state and the loop's progress stay for
    /// ``Trainer/restore(from:)``). Resuming training takes ``load(from:)``, which reads the first kind only.
    /// - Throws: `DataError` or ``CheckpointError``, as ``load(from:)``; a ``Trainer`` checkpoint without
    ///   a network description is a ``CheckpointError`` that says so.
    public static func loadForInference(from url: URL) throws -> TrainingSession {
        let bytes = try FileIO.readAll(url)
        let file = try SafeTensors.decode(bytes, path: url.path)
        guard file.metadata?[metadataKey] == nil, let trainer = try TrainerCheckpointHeader.read(from: file, path: url.path),
              let network = trainer.network
        else {
            return try decode(bytes, path: url.path)
        }
        var options = TrainingOptions()
        options.epochs = trainer.configuration.epochs
        options.batchSize = trainer.configuration.batchSize
        options.learningRate = trainer.baseLearningRate
        options.schedule = trainer.configuration.schedule
        options.gradientClipNorm = trainer.configuration.gradientClipNorm
        options.earlyStoppingPatience = trainer.configuration.earlyStoppingPatience
        options.dropsLastPartialBatch = trainer.configuration.dropsLastPartialBatch
        let header = CheckpointHeader(
            specification: network.specification, options: options, epoch: trainer.epoch, step: trainer.step,
            optimizerSteps: 0, generatorState: trainer.generatorState, history: [],
            standardizer: network.standardizer, targetStandardizer: network.targetStandardizer, schema: network.schema,
            bestValidationLoss: trainer.bestValidationLoss, epochsWithoutImprovement: trainer.epochsWithoutImprovement)
        // A finished `fit` ends with the best epoch's weights when it restores them: so does the model read here.
        let configuration = trainer.configuration
        let finished = trainer.epoch >= configuration.epochs
            || configuration.earlyStoppingPatience.map { trainer.epochsWithoutImprovement >= $0 } ?? false
        let best = file.tensors.filter { $0.key.hasPrefix(bestPrefix) }
        var tensors = file.tensors.filter { !$0.key.hasPrefix(optimizerPrefix) && !$0.key.hasPrefix(bestPrefix) }
        if finished && configuration.restoresBestWeights && !best.isEmpty {
            tensors = tensors.filter { !$0.key.hasPrefix(modelPrefix) }
            for (name, entry) in best { tensors[modelPrefix + String(name.dropFirst(bestPrefix.count))] = entry }
        }
        return try session(from: header, tensors: tensors, path: url.path)
    }

    /// What is wrong with parameters of these names and shapes for the network `spec` describes; nil
    /// when they are exactly its parameters.
    static func mismatch(of parameters: [(name: String, shape: [Int])], with spec: NetworkSpecification) -> String? {
        if let problem = specificationProblem(spec) { return problem }
        guard let expected = parameterShapes(of: spec) else { return "the network description's sizes overflow" }
        let have = Dictionary(parameters.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        for (name, shape) in expected where have[name] != shape {
            return "parameter '\(name)' of shape \(shape) is \(have[name].map { "of shape \($0)" } ?? "missing") in the model"
        }
        if let extra = parameters.first(where: { parameter in !expected.contains { $0.name == parameter.name } }) {
            return "the model's parameter '\(extra.name)' is not in the network described"
        }
        return nil
    }

    /// The session a validated checkpoint description and its tensors make; `path` names the source in errors.
    static func session(from header: CheckpointHeader, tensors: [String: SafeTensorsEntry], path: String) throws -> TrainingSession {
        func fail(_ message: String) -> CheckpointError { CheckpointError(path: path, message: message) }
        let spec = header.specification
        if let problem = checkpointProblem(header) { throw fail(problem) }
        // Every parameter of the described network must be stored with its exact shape, and nothing
        // else: the model built below is then exactly as large as the tensors the file holds.
        guard let expectedShapes = parameterShapes(of: spec) else {
            throw fail("the network description is invalid: its sizes overflow")
        }
        for (name, shape) in expectedShapes {
            guard let stored = tensors[modelPrefix + name] else {
                throw fail("parameter '\(name)' is missing (tensor '\(modelPrefix)\(name)')")
            }
            guard stored.shape == shape else {
                throw fail("parameter '\(name)' has shape \(stored.shape), the network described needs \(shape)")
            }
        }
        let expectedNames = Set(expectedShapes.map { modelPrefix + $0.name })
        if let extra = tensors.keys.sorted().first(where: { $0.hasPrefix(modelPrefix) && !expectedNames.contains($0) }) {
            throw fail("unexpected tensor '\(extra)': the network described has no such parameter")
        }
        guard let generator = SeededRandomNumberGenerator(state: header.generatorState) else {
            throw fail("the random generator state is invalid (it must be four words, not all zero)")
        }
        var session = TrainingSession(
            specification: spec, options: header.options, standardizer: header.standardizer,
            targetStandardizer: header.targetStandardizer, schema: header.schema)
        var parameters: [String: Tensor<Float>] = [:]
        var bestParameters: [String: Tensor<Float>] = [:]
        var optimizerState: [String: Tensor<Float>] = [:]
        for (name, entry) in tensors.sorted(by: { $0.key < $1.key }) {
            guard let tensor = Tensor<Float>(safeTensorsEntry: entry) else {
                throw fail("tensor '\(name)' has unsupported type \(entry.dtype.rawValue), expected F32")
            }
            if let index = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
                throw fail("tensor '\(name)' holds \(tensor.scalars[index]) at element \(index): a checkpoint must hold finite values")
            }
            if name.hasPrefix(modelPrefix) {
                parameters[String(name.dropFirst(modelPrefix.count))] = tensor
            } else if name.hasPrefix(optimizerPrefix) {
                optimizerState[String(name.dropFirst(optimizerPrefix.count))] = tensor
            } else if name.hasPrefix(bestPrefix) {
                bestParameters[String(name.dropFirst(bestPrefix.count))] = tensor
            } else {
                throw fail("unexpected tensor '\(name)' (checkpoint tensors are named model.*, optimizer.* or best.*)")
            }
        }
        do {
            try session.model.loadParameters(parameters)
        } catch {
            throw fail(error.description)
        }
        let shapes = Dictionary(uniqueKeysWithValues: session.model.parameters.map { ($0.name, $0.value.shape) })
        for (key, value) in optimizerState {
            let owner = String(key.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: "."))
            guard shapes[owner] == value.shape else {
                throw fail("optimizer state '\(key)' of shape \(value.shape) does not match a parameter")
            }
        }
        // After its first step the optimizer holds its buffers for every parameter, and before it none:
        // a missing buffer would silently restart from zeros and break the exact resume.
        let bufferNames = header.options.optimizer.stateBufferNames(momentum: header.options.momentum)
        let buffers = bufferNames.count
        if header.options.optimizer == .rmsprop {
            // Checkpoints written before RMSProp kept one buffer also hold an unused, all-zero `NAME.first`.
            optimizerState = optimizerState.filter { !$0.key.hasSuffix(".first") }
        }
        let expectedState = header.optimizerSteps == 0 ? [] : session.model.parameters.flatMap { parameter in
            bufferNames.map { "\(parameter.name).\($0)" }
        }
        if let missing = expectedState.first(where: { optimizerState[$0] == nil }) {
            throw fail("optimizer state '\(missing)' is missing (tensor '\(optimizerPrefix)\(missing)'): \(header.options.optimizer.rawValue) after \(header.optimizerSteps) steps keeps \(buffers) buffer(s) per parameter")
        }
        let expectedStateNames = Set(expectedState)
        if let extra = optimizerState.keys.sorted().first(where: { !expectedStateNames.contains($0) }) {
            throw fail("unexpected optimizer state '\(extra)': \(header.options.optimizer.rawValue) after \(header.optimizerSteps) steps has no such buffer")
        }
        if !bestParameters.isEmpty {
            for (name, value) in bestParameters where shapes[name] != value.shape {
                throw fail("best-epoch parameter '\(name)' of shape \(value.shape) does not match a parameter")
            }
            guard bestParameters.count == shapes.count else {
                throw fail("the best-epoch parameters hold \(bestParameters.count) tensors, the network has \(shapes.count)")
            }
            session.bestParameters = bestParameters
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

    /// Bounds on what a checkpoint may describe: far above any network this library trains on a CPU,
    /// far below sizes whose arithmetic could overflow.
    /// The widest layer a network may have (2^20 units), in a checkpoint or built by the CLI.
    public static let maximumLayerWidth = 1 << 20
    static let maximumInputSize = 1 << 24
    static let maximumHiddenLayers = 1024
    /// The most components a mixture density output may have (2^16).
    public static let maximumMixtureComponents = 1 << 16
    static let maximumCount = 1 << 53

    /// The names and shapes of the parameters of the network `spec` describes, as
    /// ``NetworkSpecification/makeModel(generator:)`` builds it (per hidden layer a Dense layer, a Dense
    /// layer and a PReLU, or a Maxout layer; then the output Dense layer), or nil when its sizes are out
    /// of bounds. Computed without allocating the network.
    static func parameterShapes(of spec: NetworkSpecification) -> [(name: String, shape: [Int])]? {
        guard let outputs = outputSize(of: spec), let unit = spec.hiddenUnit else { return nil }
        var shapes: [(name: String, shape: [Int])] = []
        var width = spec.inputSize
        var index = 0
        // With the linear path the hidden layers sit inside layer 0, an InputBeside (`0.body.<i>`).
        var prefix = spec.hasLinearPath ? "0.body." : ""
        func dense(_ size: Int) {
            shapes.append(("\(prefix)\(index).weight", [size, width]))
            shapes.append(("\(prefix)\(index).bias", [size]))
            index += 1
        }
        for size in spec.hiddenSizes {
            switch unit {
            case .activation:
                dense(size)
            case .parametricReLU:
                dense(size)
                shapes.append(("\(prefix)\(index).slope", [size]))
                index += 1
            case .maxout(let pieces):
                guard case let (units, false) = size.multipliedReportingOverflow(by: pieces), units <= maximumLayerWidth * 64 else {
                    return nil
                }
                dense(units)
            }
            width = size
        }
        if spec.hasLinearPath {
            (prefix, index) = ("", 1)
            width += spec.inputSize
        }
        dense(outputs)
        return shapes
    }

    /// The output layer's width, or nil when it is out of bounds.
    static func outputSize(of spec: NetworkSpecification) -> Int? {
        if case .mixtureDensity(let k) = spec.output, !(1...maximumMixtureComponents).contains(k) { return nil }
        guard (1...maximumLayerWidth).contains(spec.targetSize) else { return nil }
        let size = spec.output.outputSize(targetSize: spec.targetSize)   // at most 2^16 * (1 + 2^21): no overflow
        return (1...Int(UInt32.max)).contains(size) ? size : nil
    }

    /// What is wrong with a decoded checkpoint description, checked before anything is allocated; nil when valid.
    static func checkpointProblem(_ header: CheckpointHeader) -> String? {
        let spec = header.specification
        if let problem = specificationProblem(spec) { return "the network description is invalid: \(problem)" }
        if let problem = optionsProblem(header.options) { return problem }
        let counts = [header.epoch, header.step, header.optimizerSteps, header.epochsWithoutImprovement]
        guard counts.allSatisfy({ (0...maximumCount).contains($0) }) else {
            return "the progress counters are invalid: epoch \(header.epoch), step \(header.step), optimizer steps \(header.optimizerSteps)"
        }
        if let standardizer = header.standardizer {
            guard standardizer.mean.count == spec.inputSize, standardizer.standardDeviation.count == spec.inputSize,
                  standardizer.mean.allSatisfy(\.isFinite),
                  standardizer.standardDeviation.allSatisfy({ $0.isFinite && $0 != 0 })
            else {
                return "the feature standardizer is invalid: it must hold \(spec.inputSize) finite means and non-zero deviations"
            }
        }
        if let standardizer = header.targetStandardizer {
            guard !spec.output.isClassifier, standardizer.mean.count == spec.targetSize,
                  standardizer.standardDeviation.count == spec.targetSize,
                  standardizer.mean.allSatisfy(\.isFinite),
                  standardizer.standardDeviation.allSatisfy({ $0.isFinite && $0 != 0 })
            else {
                return "the target standardizer is invalid: it must hold \(spec.targetSize) finite means and non-zero deviations, for a regression"
            }
        }
        if let schema = header.schema {
            guard schema.featureCount == spec.inputSize else {
                return "the column schema encodes \(schema.featureCount) features, the network takes \(spec.inputSize)"
            }
            guard schema.classNames.count == (spec.output.isClassifier ? spec.targetSize : 0) else {
                return "the column schema names \(schema.classNames.count) classes, the network predicts \(spec.output.isClassifier ? spec.targetSize : 0)"
            }
        }
        return nil
    }

    /// What is wrong with a network description's sizes and units; nil when it can be built.
    static func specificationProblem(_ spec: NetworkSpecification) -> String? {
        guard (1...maximumInputSize).contains(spec.inputSize) else {
            return "input size \(spec.inputSize) is outside 1...\(maximumInputSize)"
        }
        guard spec.hiddenSizes.count <= maximumHiddenLayers,
              spec.hiddenSizes.allSatisfy({ (1...maximumLayerWidth).contains($0) }) else {
            return "hidden sizes must be at most \(maximumHiddenLayers) layers of 1...\(maximumLayerWidth) units"
        }
        guard spec.hiddenUnit != nil else {
            return "unknown activation '\(spec.activation)'"
        }
        guard outputSize(of: spec) != nil else {
            return "output \(spec.output) with target size \(spec.targetSize) is out of range"
        }
        if spec.output == .softmax && spec.targetSize < 2 {
            return "a softmax output needs at least 2 classes, the target size is \(spec.targetSize)"
        }
        if spec.output == .sigmoid && spec.targetSize != 2 {
            return "a sigmoid output needs exactly 2 classes, the target size is \(spec.targetSize)"
        }
        return nil
    }

    /// What is wrong with training options; nil when they are usable.
    static func optionsProblem(_ options: TrainingOptions) -> String? {
        guard options.epochs >= 0, options.batchSize >= 1,
              options.learningRate.isFinite, options.learningRate >= 0,
              options.weightDecay.isFinite, options.weightDecay >= 0,
              options.gradientClipNorm.map({ $0.isFinite && $0 > 0 }) ?? true,
              options.earlyStoppingPatience.map({ $0 >= 0 }) ?? true,
              (0..<1).contains(options.validationFraction),
              (0..<1).contains(options.testFraction),
              options.momentum.isFinite, options.momentum >= 0,
              isValid(options.schedule, depth: 0)
        else {
            return "the training options are invalid (epochs, batch size, learning rate, momentum, schedule, weight decay, clipping, patience, validation or test fraction out of range)"
        }
        return nil
    }

    static func isValid(_ schedule: LearningRateSchedule, depth: Int) -> Bool {
        guard depth < 16 else { return false }
        switch schedule {
        case .constant: return true
        case .step(let interval, let factor): return interval >= 1 && factor.isFinite && factor >= 0
        case .cosine(let totalSteps, let minimum): return totalSteps >= 0 && minimum.isFinite && minimum >= 0
        case .warmup(let steps, let then): return (0...maximumCount).contains(steps) && isValid(then, depth: depth + 1)
        }
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
