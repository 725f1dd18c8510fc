import Foundation
import SwiftProtobuf

/// Writes scalar summaries to a TensorBoard event file, which `tensorboard --logdir DIR` plots.
///
/// The file, `events.out.tfevents.<seconds>.<host>.<process>.feedforward` in the directory, is a
/// sequence of TFRecord-framed `Event` messages: first the file version, then one event per call
/// holding the values of one step. Each event is written as it comes, so TensorBoard shows a run
/// while it trains.
///
/// ```swift
/// let writer = try TensorBoardWriter(directory: URL(fileURLWithPath: "runs/adam"))
/// for epoch in 1...10 {
///     // … train one epoch …
///     try writer.addScalars([("train/loss", trainLoss), ("validation/loss", validationLoss)], step: epoch)
/// }
/// // With the library's loop:
/// try trainer.fit(on: training, validation: validation) { record in
///     try writer.addScalars(record.tensorBoardScalars, step: record.epoch)
/// }
/// ```
public final class TensorBoardWriter {
    /// The event file being written.
    public let fileURL: URL
    private let handle: FileHandle

    /// Creates `directory` if needed and starts a new event file in it.
    /// - Throws: `DataError` of kind `.io` naming the directory or file when it cannot be created.
    public init(directory: URL, wallTime: Date = Date()) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw DataError(.io, path: directory.path, "cannot create the TensorBoard log directory: \(error.localizedDescription)")
        }
        let host = ProcessInfo.processInfo.hostName.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }
        let name = "events.out.tfevents.\(Int(wallTime.timeIntervalSince1970)).\(host).\(ProcessInfo.processInfo.processIdentifier).feedforward"
        fileURL = directory.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: fileURL.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: fileURL.path)
        else {
            throw DataError(.io, path: fileURL.path, "cannot create the TensorBoard event file")
        }
        self.handle = handle
        var event = TensorBoardEvent()
        event.wallTime = wallTime.timeIntervalSince1970
        event.fileVersion = "brain.Event:2"
        try write(event)
    }

    deinit { try? handle.close() }

    /// Appends one event holding `values` (tag and value; TensorBoard draws one chart per tag and
    /// groups tags by the part before the first `/`) at `step`.
    /// - Throws: `DataError` of kind `.io` when the file cannot be written.
    public func addScalars(_ values: [(tag: String, value: Double)], step: Int, wallTime: Date = Date()) throws {
        var event = TensorBoardEvent()
        event.wallTime = wallTime.timeIntervalSince1970
        event.step = Int64(step)
        event.summary.value = values.map { tag, value in
            var summaryValue = TensorBoardSummary.Value()
            summaryValue.tag = tag
            summaryValue.simpleValue = Float(value)
            return summaryValue
        }
        try write(event)
    }

    /// Appends one event holding `value` under `tag` at `step`.
    public func addScalar(_ value: Double, tag: String, step: Int, wallTime: Date = Date()) throws {
        try addScalars([(tag, value)], step: step, wallTime: wallTime)
    }

    private func write(_ event: TensorBoardEvent) throws {
        do {
            let bytes: [UInt8] = try event.serializedBytes()
            try handle.write(contentsOf: TFRecord.frame(bytes))
        } catch {
            throw DataError(.io, path: fileURL.path, "cannot write a TensorBoard event: \(error.localizedDescription)")
        }
    }
}

extension EpochRecord {
    /// The figures of the epoch as TensorBoard scalars: `train/loss` (the data loss), `train/penalty`
    /// when there was an L2 penalty, the training metrics when they were computed,
    /// `validation/<figure>` for every validation figure (`loss`, `accuracy`, `mse`, …), and
    /// `learning_rate`.
    public var tensorBoardScalars: [(tag: String, value: Double)] {
        var scalars: [(tag: String, value: Double)] = [("train/loss", trainLoss)]
        if let trainPenalty { scalars.append(("train/penalty", trainPenalty)) }
        if let train { scalars += train.figures.filter { $0.0 != "loss" }.map { ("train/\($0.0)", $0.1) } }
        if let validation { scalars += validation.figures.map { ("validation/\($0.0)", $0.1) } }
        scalars.append(("learning_rate", learningRate))
        return scalars
    }
}

extension EvaluationResult {
    /// The figures as TensorBoard scalars named `<split>/<figure>`, for example `test/accuracy`.
    public func tensorBoardScalars(split: String) -> [(tag: String, value: Double)] {
        figures.map { ("\(split)/\($0.0)", $0.1) }
    }
}

extension TrainingLoopRecord {
    /// The figures of the epoch as TensorBoard scalars: `train/loss` (the data loss),
    /// `train/penalty` when the trainer had a ``Trainer/penalty``, `validation/loss` when there was
    /// validation, and `learning_rate`.
    public var tensorBoardScalars: [(tag: String, value: Double)] {
        var scalars: [(tag: String, value: Double)] = [("train/loss", trainLoss)]
        if let trainPenalty { scalars.append(("train/penalty", trainPenalty)) }
        if let validationLoss { scalars.append(("validation/loss", validationLoss)) }
        scalars.append(("learning_rate", learningRate))
        return scalars
    }
}
