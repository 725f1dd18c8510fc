import Foundation
import Testing
@testable import Feedforward

extension CommandLineTests {
    @Test func infoDescribesTrainerCheckpointsAndParameterFiles() throws {
        var trainer = TrainerTests.makeTrainer(seed: 3)
        trainer.configuration.epochs = 1
        try trainer.fit(on: TrainerTests.spiralExamples(count: 40, seed: 10))
        let directory = try TemporaryDirectory()
        let checkpoint = directory.url.appendingPathComponent("trainer.safetensors")
        let parameters = directory.url.appendingPathComponent("parameters.safetensors")
        try trainer.save(to: checkpoint)
        try trainer.model.saveParameters(to: parameters, metadata: ["note": "skip"])
        // `feedforward info` describes both instead of refusing them.
        let info = try FeedforwardExecutable.run(["info", checkpoint.path])
        #expect(info.status == 0, "\(info.error)")
        #expect(info.output.contains("SkipConnectionModel") && info.output.contains("hidden.weight"))
        #expect(info.output.contains("trained: 1 epochs"))
        let parameterInfo = try FeedforwardExecutable.run(["info", parameters.path])
        #expect(parameterInfo.status == 0, "\(parameterInfo.error)")
        #expect(parameterInfo.output.contains("parameter file") && parameterInfo.output.contains("skip.weight"))
        #expect(parameterInfo.output.contains("metadata note: skip"))

        // evaluate and predict say what the file is instead of failing on the architecture.
        let predict = try FeedforwardExecutable.run(["predict", "--model", checkpoint.path, "--input", parameters.path])
        #expect(predict.status != 0 && predict.error.contains("Trainer"), "\(predict.error)")
    }
}
