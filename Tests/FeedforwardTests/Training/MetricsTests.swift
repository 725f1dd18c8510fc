import Testing
@testable import Feedforward

@Suite struct MetricsTests {
    @Test func perClassScoresFollowTheConfusionMatrix() {
        var metrics = ClassificationMetrics(classCount: 3)
        metrics.confusionMatrix = [[5, 1, 0], [2, 3, 1], [0, 0, 4]]
        let scores = metrics.perClass
        // Class 0: 5 of the 7 predicted are right, 5 of the 6 present are found.
        #expect(abs(scores[0].precision - 5.0 / 7) < 1e-12 && abs(scores[0].recall - 5.0 / 6) < 1e-12)
        #expect(abs(scores[0].f1 - 2 * (5.0 / 7) * (5.0 / 6) / (5.0 / 7 + 5.0 / 6)) < 1e-12)
        #expect(scores[1].precision == 0.75 && scores[1].recall == 0.5 && scores[1].support == 6)
        #expect(scores[2].precision == 0.8 && scores[2].recall == 1)
        #expect(abs(metrics.macroF1 - scores.map(\.f1).reduce(0, +) / 3) < 1e-12)
    }

    @Test func areaUnderTheROCCurve() throws {
        // scikit-learn's roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) is 0.75.
        let auc = ClassificationMetrics.areaUnderROCCurve([(0.1, false), (0.4, false), (0.35, true), (0.8, true)])
        #expect(auc == 0.75)
        #expect(ClassificationMetrics.areaUnderROCCurve([(0.5, false), (0.5, true)]) == 0.5)
        #expect(ClassificationMetrics.areaUnderROCCurve([(0.5, true), (0.7, true)]) == nil)
    }

    @Test func twoClassEvaluationReportsROCAUCAndRegressionReportsRMSE() throws {
        let specification = NetworkSpecification(inputSize: 1, hiddenSizes: [], activation: .relu, output: .softmax, targetSize: 2)
        var session = TrainingSession(specification: specification, options: TrainingOptions())
        session.model = Sequential([Dense<Float>(weight: Tensor(shape: [2, 1], scalars: [-1, 1]))])
        let data = SupervisedDataset(features: Tensor(shape: [4, 1], scalars: [0.1, 0.4, 0.35, 0.8]), targets: .classes([0, 0, 1, 1], classCount: 2))
        let result = session.evaluate(on: data)
        #expect(result.rocAUC == 0.75)
        #expect(result.figures.map(\.0) == ["loss", "accuracy", "macro_f1", "roc_auc"])

        var regression = RegressionMetrics()
        regression.add(predictions: Tensor<Float>(shape: [2, 1], scalars: [1, 5]), targets: Tensor(shape: [2, 1], scalars: [4, 1]))
        #expect(regression.rootMeanSquaredError == (12.5 as Double).squareRoot())
    }
}
