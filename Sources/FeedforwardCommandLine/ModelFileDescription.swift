import Feedforward

/// Prints what `info` says about a Trainer checkpoint or a plain parameter file (a training session
/// checkpoint is described by `Info` itself, from its network description).
func printDescription(of contents: ModelFileContents) {
    func printTensors(_ tensors: [StoredTensor]) {
        let width = tensors.map(\.name.count).max().map { Swift.max($0, 12) } ?? 12
        for tensor in tensors {
            print("  \(tensor.name.padding(toLength: width, withPad: " ", startingAt: 0)) \(tensor.shape) \(tensor.scalarCount) parameters (\(tensor.dataType))")
        }
    }
    switch contents {
    case .trainingSession:
        preconditionFailure("printDescription(of:) describes Trainer checkpoints and parameter files only")
    case .trainerCheckpoint(let header, let parameters, let optimizerTensorCount):
        print("model: \(header.modelType), trained with the library's Trainer (\(parameters.map(\.scalarCount).reduce(0, +)) parameters)")
        if let network = header.network {
            let count = parameters.map(\.scalarCount).reduce(0, +)
            print("  network described: \(describe(network.specification, parameterCount: count)); evaluate and predict run it;")
            print("  continue training with Trainer.restore(from:)")
        } else {
            print("  its architecture is Swift code: restore it with Trainer.restore(from:) in a program that builds \(header.modelType);")
            print("  evaluate and predict run it when the trainer describes its network (Trainer.network)")
        }
        printTensors(parameters)
        print("trained: \(header.epoch) epochs, \(header.step) steps, batch size \(header.configuration.batchSize), base learning rate \(header.baseLearningRate), \(header.optimizerType) state \(optimizerTensorCount) tensors after \(header.optimizerSteps) steps")
        if let last = header.history.last {
            var line = "last epoch: epoch \(last.epoch)/\(header.configuration.epochs): train loss \(format(last.trainLoss))"
            if let penalty = last.trainPenalty { line += " (penalty \(format(penalty)) not included)" }
            if let validation = last.validationLoss { line += ", validation loss \(format(validation))" }
            print(line)
        }
        if let best = header.bestValidationLoss { print("best validation loss: \(format(best))") }
    case .parameters(let tensors, let metadata):
        print("parameter file (safetensors, \(tensors.count) tensors, \(tensors.map(\.scalarCount).reduce(0, +)) parameters, no training state)")
        print("  load it with Layer.loadParameters(from:) into a model with these parameters")
        printTensors(tensors)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { print("metadata \(key): \(value)") }
    }
}
