extension NetworkSpecification {
    /// Checks that the network can be built: at least one input, hidden sizes and layer count
    /// within the bounds a checkpoint may describe, a known hidden unit, and an output that fits
    /// its targets (at least 2 classes for softmax, exactly 2 for sigmoid, at least one value).
    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` saying what is wrong.
    public func validate() throws(TrainingError) {
        if inputSize == 0 {
            throw .invalidConfiguration("the network has no inputs: the data has no feature columns")
        }
        if targetSize == 0 {
            throw .invalidConfiguration(output.isClassifier
                ? "the network has no outputs: the data has no classes (no labelled rows)"
                : "the network has no outputs: the data has no target values")
        }
        if let problem = TrainingSession.specificationProblem(self) {
            throw .invalidConfiguration("the network description is invalid: \(problem)")
        }
    }
}

extension TrainingOptions {
    /// Checks that every option is in range and finite (a positive batch size, a finite
    /// non-negative learning rate and weight decay, a positive clip norm, a validation fraction
    /// in [0, 1), a schedule with finite parameters).
    /// - Throws: ``TrainingError/invalidConfiguration(_:)``.
    public func validate() throws(TrainingError) {
        if let problem = TrainingSession.optionsProblem(self) { throw .invalidConfiguration(problem) }
    }
}

extension TrainingSession {
    /// A session with a freshly initialised network, after checking that the specification and
    /// options are valid and that training fits in `memory` (by default the machine's physical
    /// memory or the process's control-group limit). Nothing is allocated when a check fails.
    /// - Throws: ``TrainingError/invalidConfiguration(_:)`` or ``TrainingError/insufficientMemory(required:available:)``.
    public init(
        validating specification: NetworkSpecification, options: TrainingOptions, standardizer: Standardizer? = nil,
        targetStandardizer: Standardizer? = nil, schema: TabularSchema? = nil, memory: SystemMemory? = SystemMemory.current
    ) throws(TrainingError) {
        try specification.validate()
        try options.validate()
        if let standardizer, standardizer.featureCount != specification.inputSize {
            throw .invalidConfiguration(
                "the standardizer has \(standardizer.featureCount) features, the network takes \(specification.inputSize)")
        }
        try Self.checkMemory(for: specification, options: options, memory: memory)
        self.init(
            specification: specification, options: options, standardizer: standardizer,
            targetStandardizer: targetStandardizer, schema: schema)
    }

    /// Throws when the memory estimate of training `specification` with `options` exceeds `memory`
    /// (no check when `memory` is nil, that is when the platform does not report it).
    /// - Throws: ``TrainingError/insufficientMemory(required:available:)``.
    public static func checkMemory(
        for specification: NetworkSpecification, options: TrainingOptions, memory: SystemMemory? = SystemMemory.current
    ) throws(TrainingError) {
        guard let memory else { return }
        let estimate = MemoryEstimate(
            specification: specification, optimizer: options.optimizer, momentum: options.momentum, batchSize: options.batchSize)
        guard let estimate, estimate.totalBytes <= memory.bytes else {
            throw .insufficientMemory(required: estimate, available: memory)
        }
    }
}
