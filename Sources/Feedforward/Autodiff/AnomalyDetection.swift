import Synchronization

/// A NaN or infinity found by anomaly detection: the first operation whose result holds one.
public struct NumericalAnomaly: Error, CustomStringConvertible, Sendable {
    /// Whether the forward result or a derivative (backward) result held the value.
    public enum Pass: String, Sendable {
        /// The operation's result.
        case forward
        /// A derivative computed by the operation's rule during back-propagation.
        case backward
    }
    /// The name of the operation, such as `"log"` or `"matmul"`.
    public let operation: String
    /// Whether the value or a derivative held the NaN or infinity.
    public let pass: Pass
    /// The shapes of the operation's inputs.
    public let inputShapes: [[Int]]
    /// The shape of the result that held the NaN or infinity.
    public let outputShape: [Int]
    /// How many NaNs and infinities the result held.
    public let nanCount: Int
    /// How many infinities the result held.
    public let infinityCount: Int

    public var description: String {
        "\(pass.rawValue) result of '\(operation)' holds \(nanCount) NaN and \(infinityCount) infinite values "
            + "(inputs \(inputShapes.map { "\($0)" }.joined(separator: ", ")), result \(outputShape))"
    }
}

/// Anomaly mode: while it is on, every operation's forward result and every derivative result is
/// checked for NaN and infinity, and the first operation that produces one is reported.
public enum AnomalyDetection {
    final class Recorder: @unchecked Sendable {
        var first: NumericalAnomaly?
    }

    @TaskLocal static var recorder: Recorder?

    /// How many ``run(_:)`` calls are in progress in any task. While there are none, operations skip
    /// reading the task-local recorder (each read costs tens of nanoseconds).
    static let activeRuns = Atomic<Int>(0)

    /// The recorder of the enclosing ``run(_:)``, if any.
    @inline(__always)
    static var currentRecorder: Recorder? {
        activeRuns.load(ordering: .relaxed) == 0 ? nil : recorder
    }

    /// Runs `body` with anomaly detection; throws the first ``NumericalAnomaly`` seen, after `body` returns.
    ///
    /// When `body` itself throws after an anomaly was seen (for instance training stopping on a
    /// non-finite loss), the anomaly is thrown instead, since it names the operation that caused it.
    public static func run<R>(_ body: () throws -> R) throws -> R {
        let recorder = Recorder()
        activeRuns.add(1, ordering: .relaxed)
        defer { activeRuns.subtract(1, ordering: .relaxed) }
        let result: R
        do {
            result = try $recorder.withValue(recorder, operation: body)
        } catch {
            if let anomaly = recorder.first { throw anomaly }
            throw error
        }
        if let anomaly = recorder.first { throw anomaly }
        return result
    }

    static func nonFiniteCounts<Scalar>(_ tensor: Tensor<Scalar>) -> (nan: Int, infinity: Int) {
        var nan = 0
        var infinity = 0
        for i in 0..<tensor.scalarCount {
            let v = tensor.storage.base[i]
            if v.isNaN { nan += 1 } else if v.isInfinite { infinity += 1 }
        }
        return (nan, infinity)
    }

    static func check<Scalar>(
        _ operation: String, pass: NumericalAnomaly.Pass, result: Tensor<Scalar>, inputShapes: @autoclosure () -> [[Int]]
    ) {
        guard let recorder = currentRecorder, recorder.first == nil else { return }
        let counts = nonFiniteCounts(result)
        guard counts.nan + counts.infinity > 0 else { return }
        recorder.first = NumericalAnomaly(
            operation: operation, pass: pass, inputShapes: inputShapes(), outputShape: result.shape,
            nanCount: counts.nan, infinityCount: counts.infinity)
    }

    /// While back-propagation evaluates an operation's derivative rule, that operation's name: the
    /// tensor operations inside the rule are then reported as the backward pass of that operation.
    @TaskLocal static var derivativeOf: String?

    @inline(__always)
    static func checkForward<Scalar>(_ operation: String, output: Tensor<Scalar>, inputs: [Tensor<Scalar>]) {
        if currentRecorder != nil {
            if let owner = derivativeOf {
                check(owner, pass: .backward, result: output, inputShapes: inputs.map(\.shape))
            } else {
                check(operation, pass: .forward, result: output, inputShapes: inputs.map(\.shape))
            }
        }
    }

    /// Runs a derivative rule of `operation`, attributing anomalies inside it to that operation's backward pass.
    @inline(__always)
    static func inDerivative<R>(of operation: String, _ rule: () -> R) -> R {
        currentRecorder == nil ? rule() : $derivativeOf.withValue(operation, operation: rule)
    }
}
