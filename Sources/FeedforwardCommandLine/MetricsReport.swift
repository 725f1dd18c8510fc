import Feedforward
import Foundation

/// Lines that detail `result` beyond its headline figures: per-class precision, recall, F1 and
/// support with the confusion matrix (up to 20 classes).
func metricsReport(_ result: EvaluationResult, classNames: [String]) -> [String] {
    guard let classification = result.classification, classification.confusionMatrix.count <= 20 else { return [] }
    func name(_ index: Int) -> String {
        (index < classNames.count ? classNames[index] : String(index)).padding(toLength: 12, withPad: " ", startingAt: 0)
    }
    var lines = ["class        precision  recall      f1  support"]
    for (index, scores) in classification.perClass.enumerated() {
        lines.append(name(index) + String(format: "%9.4f %7.4f %7.4f %8d", scores.precision, scores.recall, scores.f1, scores.support))
    }
    lines.append("confusion matrix (rows: true class, columns: predicted):")
    for (index, row) in classification.confusionMatrix.enumerated() {
        lines.append(name(index) + row.map { String(format: "%6d", $0) }.joined())
    }
    return lines
}

/// The figures of `result` as JSON fields named with `prefix`: the headline figures, and for
/// classes `per_class` (name, precision, recall, f1, support) and `confusion_matrix`.
func metricsJSON(_ result: EvaluationResult, classNames: [String], prefix: String) -> [String: Any] {
    var object: [String: Any] = [:]
    for (name, value) in result.figures { object[prefix + name] = value }
    if let classification = result.classification {
        object[prefix + "confusion_matrix"] = classification.confusionMatrix
        object[prefix + "per_class"] = classification.perClass.enumerated().map { index, scores -> [String: Any] in
            [
                "class": index < classNames.count ? classNames[index] : String(index),
                "precision": scores.precision, "recall": scores.recall, "f1": scores.f1, "support": scores.support,
            ]
        }
    }
    return object
}
