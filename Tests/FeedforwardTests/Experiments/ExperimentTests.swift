import Foundation
import Testing
@testable import Feedforward
@testable import FeedforwardExperiments

// One fast test of each experiment's key claim (debug build), plus the registry and report writer.

@Suite struct XORExperimentTests {
    @Test func normalEquationsGiveHalfEverywhere() {
        let linear = XORExperiment.linearModel()
        #expect(Swift.abs(linear.w[0]) < 1e-12 && Swift.abs(linear.w[1]) < 1e-12)
        #expect(Swift.abs(linear.b - 0.5) < 1e-12)
        #expect(Swift.abs(linear.mse - 0.25) < 1e-12)
    }

    @Test func bookNetworkIsExact() {
        #expect(XORExperiment.exactOutputs() == [0, 1, 1, 0])
    }

    @Test func handWrittenGradientMatchesAutodiff() {
        let network = XORExperiment.SmallNetwork(hiddenCount: 3, seed: 5)
        let manual = network.outputsAndGradient()
        let automatic = gradient(at: network.model) { m in
            meanSquaredError(predictions: m(XORExperiment.inputs), targets: XORExperiment.targets)
        }
        func close(_ a: [Double], _ b: [Double]) -> Bool { zip(a, b).allSatisfy { Swift.abs($0 - $1) < 1e-12 } }
        #expect(close(manual.W, automatic["0.weight"]!.scalars))
        #expect(close(manual.c, automatic["0.bias"]!.scalars))
        #expect(close(manual.w, automatic["1.weight"]!.scalars))
        #expect(close([manual.b], automatic["1.bias"]!.scalars))
    }

    @Test func gradientDescentSolvesXOR() {
        // The minimal 2-2-1 network succeeds from a fraction of starts; eight hidden units from nearly all.
        let minimal = XORExperiment.trainMany(seeds: 0..<20)
        #expect(minimal.successRate >= 0.2, "2 hidden units: \(minimal.successRate)")
        let wide = XORExperiment.trainMany(seeds: 0..<20, hiddenCount: 8)
        #expect(wide.successRate >= 0.9, "8 hidden units: \(wide.successRate)")
        for run in minimal.runs where run.solved {
            let outputs = run.model(XORExperiment.inputs).scalars
            #expect(zip(outputs, [0.0, 1, 1, 0]).allSatisfy { Swift.abs($0 - $1) < 0.1 })
        }
    }
}

@Suite struct SaturationExperimentTests {
    @Test func mseGradientVanishesWhereCrossEntropyDoesNot() {
        let mse = SaturationExperiment.train(cost: .meanSquaredError, steps: 20)
        let ce = SaturationExperiment.train(cost: .crossEntropy, steps: 20)
        #expect(mse.gradientNorm[0] < 0.01 * ce.gradientNorm[0], "MSE \(mse.gradientNorm[0]), CE \(ce.gradientNorm[0])")
        #expect(ce.correctProbability.last! > mse.correctProbability.last!)
    }
}

@Suite struct ConditionalStatisticsExperimentTests {
    @Test func mseFitsMeanAndMAEFitsMedian() {
        let data = ConditionalStatisticsExperiment.sample(count: 300, seed: 1)
        let mse = ConditionalStatisticsExperiment.fit(absoluteError: false, data: data, hidden: 10, steps: 300, seed: 1)
        let mae = ConditionalStatisticsExperiment.fit(absoluteError: true, data: data, hidden: 10, steps: 300, seed: 1)
        #expect(mse.distanceToMean < mse.distanceToMedian, "MSE: \(mse.distanceToMean) vs \(mse.distanceToMedian)")
        #expect(mae.distanceToMedian < mae.distanceToMean, "MAE: \(mae.distanceToMedian) vs \(mae.distanceToMean)")
    }
}

@Suite struct MixtureDensityExperimentTests {
    @Test func mixtureBeatsGaussianOnMultimodalInverse() {
        let outcome = MixtureDensityExperiment.compare(trainCount: 200, testCount: 200, hidden: 12, steps: 250, seed: 2)
        #expect(outcome.mdnNLL < outcome.mseGaussianNLL, "MDN \(outcome.mdnNLL), MSE \(outcome.mseGaussianNLL)")
    }
}

@Suite struct BackpropCostExperimentTests {
    @Test func tableEvaluatesEachEdgeOnceAndNaiveRecursionEveryPath() {
        for n in [1, 5, 10] {
            let chain = BackpropCostExperiment.SharedChain(length: n, input: 0.7)
            let naive = chain.naiveDerivative()
            let table = chain.tableDerivative()
            #expect(table.evaluations == chain.edgeCount)
            #expect(naive.evaluations == (1 << (n + 1)) - 2)
            #expect(Swift.abs(naive.value - table.value) <= 1e-12 * Swift.max(1, Swift.abs(table.value)))
            let library = BackpropCostExperiment.SharedChain.libraryDerivative(length: n, input: 0.7)
            #expect(Swift.abs(library - table.value) <= 1e-12 * Swift.max(1, Swift.abs(table.value)))
        }
    }

    @Test func libraryBackpropagationVisitsEachEdgeOnce() {
        let n = 12
        let w = Tensor<Double>(0.7).requiringGradient()
        var u = w
        for _ in 0..<n { u = sin(u) * u }  // per step: sin (1 edge) and a product (2 edges)
        var statistics = BackpropagationStatistics()
        _ = withUnsafeMutablePointer(to: &statistics) { pointer in
            Backpropagation.run(
                outputs: [u], seeds: [Tensor(1)], targets: [w.edge!], createGraph: false, retainGraph: false, statistics: pointer)
        }
        #expect(statistics.edgesTraversed == 3 * n)
        #expect(statistics.ruleEvaluations == 2 * n)
    }

    /// Runs in a child process: the memory counters are process-wide, and tests running at the same
    /// time would allocate into the measurement.
    @Test func recomputationKeepsLessAfterTheForwardPass() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            let rows = BackpropCostExperiment.recomputation(depths: [16], width: 64, batch: 64, repeats: 1)
            print(rows[0])
            exit(rows[0].recomputedBytes < rows[0].plainBytes ? 0 : 1)
        }
        recordOutput(ofFailed: result, "recomputation kept as much")
    }
}

@Suite struct ForwardVsReverseExperimentTests {
    @Test func bothModesGiveTheSameJacobian() {
        for (n, m) in [(3, 7), (7, 3)] {
            let row = ForwardVsReverseExperiment.jacobians(n: n, m: m, repeats: 1)
            #expect(row.maximumDifference < 1e-12, "n \(n), m \(m): \(row.maximumDifference)")
        }
        let chain = ForwardVsReverseExperiment.matrixChain(rows: 40, inner: 10, repeats: 1)
        #expect(chain.maximumDifference < 1e-10)
        #expect(chain.rightFirstFlops < chain.leftFirstFlops)
    }
}

@Suite struct CurvatureExperimentTests {
    @Test func jacobiEigenvaluesOfAKnownMatrix() {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1.
        let values = symmetricEigenvalues(Tensor(shape: [2, 2], scalars: [2, 1, 1, 2]))
        #expect(Swift.abs(values[0] - 3) < 1e-12 && Swift.abs(values[1] - 1) < 1e-12)
    }

    @Test func lanczosMatchesTheFullHessian() {
        let comparison = CurvatureExperiment.compare(
            sizes: [2, 3, 1], count: 30, steps: 60, iterations: 13, formFullHessian: true, seed: 3)
        let exact = comparison.exact!
        #expect(comparison.parameterCount == 13)
        for (lanczos, full) in zip(comparison.lanczos, exact) {
            #expect(Swift.abs(lanczos - full) <= 1e-7 * Swift.max(1, Swift.abs(exact[0])), "\(comparison.lanczos) vs \(exact)")
        }
    }
}

@Suite struct ImageExperimentTests {
    /// A small slice of the bundled Fashion-MNIST subset, loaded once for both tests.
    static let data = try! ImageData.load(trainCount: 500, testCount: 200, seed: 0, source: .bundled)

    @Test func everyHiddenUnitLearnsSomething() {
        let rows = HiddenUnitsExperiment.tinyRun(data: Self.data, hidden: 16, epochs: 1, seed: 0)
        #expect(rows.map(\.unit) == HiddenUnitsExperiment.Unit.allCases)
        for row in rows { #expect(row.accuracy > 0.25, "\(row.unit.name): \(row.accuracy) (chance 0.1)") }
    }

    @Test func widthsMatchTheBudgetAndDepthsTrain() {
        for depth in 1...5 {
            let w = DepthExperiment.width(depth: depth, budget: 50_000)
            let count = DepthExperiment.parameterCount(depth: depth, width: w)
            #expect(Swift.abs(count - 50_000) < 2_000, "depth \(depth): width \(w), \(count) parameters")
        }
        let rows = DepthExperiment.tinyRun(depths: [1, 3], budget: 25_000, data: Self.data, epochs: 1, seed: 0)
        for row in rows { #expect(row.accuracy > 0.25, "depth \(row.depth): \(row.accuracy) (chance 0.1)") }
    }
}

@Suite struct ExperimentRegistryTests {
    @Test func namesAreUniqueAndFound() {
        let names = ExperimentRegistry.all.map(\.name)
        #expect(names.count == 9 && Set(names).count == 9)
        #expect(ExperimentRegistry.experiment(named: "XOR")?.name == "xor")
        #expect(ExperimentRegistry.experiment(named: "nope") == nil)
    }

    @Test func reportWritesMarkdownAndFigures() throws {
        let report = try SaturationExperiment().run(ExperimentOptions(quick: true))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ff-experiment-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try report.write(to: directory)
        let markdown = try String(contentsOf: directory.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.hasPrefix("# Saturation"))
        for figure in report.figures {
            #expect(markdown.contains("(\(figure.name).svg)"))
            let svg = try String(contentsOf: directory.appendingPathComponent("\(figure.name).svg"), encoding: .utf8)
            #expect(svg.contains("<svg") && svg.contains("</svg>"))
        }
    }
}
