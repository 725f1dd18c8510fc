import Foundation
import Testing
@testable import Feedforward

/// The training loss that records, progress and logs report is the data loss (as PyTorch reports its
/// criterion), comparable with validation and test losses; the L2 penalty, which the gradients
/// include, is reported apart.
@Suite struct PenaltyReportingTests {
    /// A session whose one epoch is one batch of every example at learning rate 0: the parameters
    /// the loss is computed at are those evaluated afterwards.
    static func frozenSession(weightDecay: Double) -> (TrainingSession, SupervisedDataset) {
        let data = TrainingSessionTests.blobs(count: 48, seed: 4)
        var session = TrainingSessionTests.session(epochs: 1, optimizer: .sgd)
        session.options.batchSize = 48
        session.options.learningRate = 0
        session.options.weightDecay = weightDecay
        return (session, data)
    }

    @Test func theSessionsTrainLossIsTheDataLossAndThePenaltyIsReportedApart() throws {
        var (session, data) = Self.frozenSession(weightDecay: 0.05)
        let penalty = Double(l2Penalty(session.model, strength: 0.05).scalar)
        let dataLoss = session.evaluate(on: data).loss
        var progressLosses: [Double] = []
        let record = try session.trainEpoch(on: data) { progressLosses.append($0.loss) }
        #expect(penalty > 0.01)
        #expect(abs(record.trainLoss - dataLoss) <= 1e-5 * dataLoss, "train loss \(record.trainLoss), data loss \(dataLoss)")
        #expect(abs(record.trainPenalty! - penalty) <= 1e-5 * penalty)
        #expect(progressLosses.count == 1 && abs(progressLosses[0] - dataLoss) <= 1e-5 * dataLoss)
        #expect(record.tensorBoardScalars.map(\.tag).prefix(2) == ["train/loss", "train/penalty"])
    }

    @Test func withoutAPenaltyNoneIsReported() throws {
        var (session, data) = Self.frozenSession(weightDecay: 0)
        let record = try session.trainEpoch(on: data)
        #expect(record.trainPenalty == nil)
        #expect(!record.tensorBoardScalars.map(\.tag).contains("train/penalty"))
    }

    /// The penalty still shapes the gradients: one step with it moves the weights toward zero more
    /// than the same step without it.
    @Test func thePenaltyStillEntersTheGradients() throws {
        let data = TrainingSessionTests.blobs(count: 48, seed: 4)
        func weightNorm(after weightDecay: Double) throws -> Float {
            var session = TrainingSessionTests.session(epochs: 1, optimizer: .sgd)
            session.options.batchSize = 48
            session.options.weightDecay = weightDecay
            try session.trainEpoch(on: data)
            return l2Penalty(session.model, strength: 1).scalar
        }
        #expect(try weightNorm(after: 1) < weightNorm(after: 0))
    }

    @Test func aTrainersPenaltyIsAddedForTheGradientsButNotToTheReportedLoss() throws {
        let examples = TrainerTests.spiralExamples(count: 40, seed: 3)
        var configuration = TrainingLoopConfiguration()
        configuration.epochs = 1
        configuration.batchSize = 40
        func trainer(penalty strength: Float?) -> Trainer<SkipConnectionModel, LabeledExamples<Float>> {
            var penalty: (@Sendable (SkipConnectionModel) -> Tensor<Float>)?
            if let strength { penalty = { model in l2Penalty(model, strength: strength) } }
            return Trainer(
                model: SkipConnectionModel(inputSize: 4, hiddenSize: 8, outputSize: 3, seed: 2),
                optimizer: SGD<Float>(learningRate: 0.1), configuration: configuration, seed: 1, penalty: penalty
            ) { model, batch in crossEntropy(logits: model(batch.inputs), labels: batch.labels) }
        }
        var plain = trainer(penalty: nil), penalised = trainer(penalty: 0.5)
        let start = penalised.meanLoss(on: examples)
        let plainRecord = try plain.trainEpoch(on: examples)
        let record = try penalised.trainEpoch(on: examples)
        // Both losses are computed before the one step, at the same parameters: the data loss.
        #expect(abs(record.trainLoss - start) <= 1e-5 * start)
        #expect(record.trainLoss == plainRecord.trainLoss && plainRecord.trainPenalty == nil)
        #expect(record.trainPenalty! > 0)
        #expect(TrainerTests.bits(plain.model) != TrainerTests.bits(penalised.model))
    }
}
