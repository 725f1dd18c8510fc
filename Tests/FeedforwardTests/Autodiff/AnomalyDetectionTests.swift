import Foundation
import Testing
@testable import Feedforward

@Suite struct AnomalyDetectionTests {
    @Test func forwardAnomalyNamesTheFirstOperation() {
        do {
            _ = try AnomalyDetection.run { sqrt(log(Tensor<Double>([-1, 2]))) * 2 }
            Issue.record("no anomaly reported")
        } catch let anomaly as NumericalAnomaly {
            #expect(anomaly.operation == "log")
            #expect(anomaly.pass == .forward)
            #expect(anomaly.nanCount == 1 && anomaly.infinityCount == 0)
            #expect(anomaly.inputShapes == [[2]] && anomaly.outputShape == [2])
            #expect(anomaly.description.contains("log"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        // While recording a graph too.
        let x = Tensor<Float>([0, 1]).requiringGradient()
        #expect(throws: NumericalAnomaly.self) { try AnomalyDetection.run { (log(x) * x).sum() } }
        do {
            _ = try AnomalyDetection.run { (log(x) * x).sum() }
        } catch let anomaly as NumericalAnomaly {
            // log(0) = -inf; then -inf · 0 = NaN in multiply, which is not the first.
            #expect(anomaly.operation == "log" && anomaly.pass == .forward && anomaly.infinityCount == 1)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func backwardAnomalyNamesTheOperation() {
        // sqrt is finite at 0 but its derivative 1 / (2 sqrt x) is not.
        do {
            _ = try AnomalyDetection.run { gradient(at: Tensor<Double>([0, 4])) { sqrt($0).sum() } }
            Issue.record("no anomaly reported")
        } catch let anomaly as NumericalAnomaly {
            #expect(anomaly.operation == "sqrt", "\(anomaly)")
            #expect(anomaly.pass == .backward, "\(anomaly)")
            #expect(anomaly.infinityCount == 1)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        // The same through eager backward.
        let w = Tensor<Double>([0, 1]).requiringGradient()
        do {
            try AnomalyDetection.run { (sqrt(w) * 3).sum().backward() }
            Issue.record("no anomaly reported")
        } catch let anomaly as NumericalAnomaly {
            #expect(anomaly.operation == "sqrt" && anomaly.pass == .backward, "\(anomaly)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func backwardAnomalyOfACustomOperation() {
        // A user-defined operation whose derivative overflows is named in the report.
        let x = Tensor<Double>([1, 800])
        do {
            _ = try AnomalyDetection.run {
                gradient(at: x) { x in
                    customOperation("steep", inputs: [x], forward: { [$0[0] * 2] }) { g, _, _ in [g[0]! * exp(x)] }[0].sum()
                }
            }
            Issue.record("no anomaly reported")
        } catch let anomaly as NumericalAnomaly {
            #expect(anomaly.operation == "steep" && anomaly.pass == .backward, "\(anomaly)")
            #expect(anomaly.infinityCount == 1 && anomaly.nanCount == 0)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        // Second order: the anomaly in the derivative of a derivative is found too.
        #expect(throws: NumericalAnomaly.self) {
            try AnomalyDetection.run { hessianVectorProduct(at: Tensor<Double>([0, 1]), along: Tensor([1, 1])) { pow($0, 1.5).sum() } }
        }
    }

    @Test func cleanComputationsPassThrough() throws {
        let value = try AnomalyDetection.run { gradient(at: Tensor<Double>([1, 4])) { sqrt($0).sum() } }
        #expect(value.scalars == [0.5, 0.25])
        // Outside anomaly mode non-finite values are just values.
        #expect(log(Tensor<Double>([-1])).scalars[0].isNaN)
        let g = gradient(at: Tensor<Double>([0])) { sqrt($0).sum() }
        #expect(g.scalars == [.infinity])
    }
}
