import ArgumentParser
import Feedforward

/// Options that choose a dataset, shared by the subcommands.
struct DataOptions: ParsableArguments {
    @Option(help: "The dataset: fashion-mnist, mnist, bundled, xor or csv:PATH. Default: fashion-mnist if installed, else bundled.")
    var dataset: String?

    @Option(help: "The directory holding the IDX files of fashion-mnist or mnist.")
    var dataDirectory: String?

    @Option(help: "The CSV column holding the label: a name or a 0-based index (default: the last column).")
    var labelColumn: String?

    @Flag(help: "Treat the CSV label column as a real value (regression) instead of a class.")
    var regression = false

    func validate() throws {
        let isCSV = dataset?.lowercased().hasPrefix("csv:") ?? false
        if !isCSV {
            let name = dataset ?? "the default dataset"
            if labelColumn != nil { throw ValidationError("--label-column applies to CSV data only, and \(name) has no columns") }
            if regression { throw ValidationError("--regression applies to CSV data only; \(name) has class labels") }
        }
        if let dataDirectory, isCSV || ["xor", "bundled"].contains(dataset?.lowercased() ?? "") {
            throw ValidationError("--data-directory \(dataDirectory) applies to fashion-mnist and mnist only")
        }
        _ = try source()
    }

    func source() throws -> DataSource {
        guard let dataset else {
            return dataDirectory.map { .fashionMNIST(directory: $0) } ?? .automatic
        }
        guard let source = DataSource(name: dataset, directory: dataDirectory, labelColumn: labelColumn, regression: regression) else {
            if dataset.lowercased() == "mnist" {
                throw ValidationError("--dataset mnist needs --data-directory DIR holding the MNIST IDX files")
            }
            throw ValidationError("unknown dataset '\(dataset)': use fashion-mnist, mnist, bundled, xor or csv:PATH")
        }
        return source
    }
}

extension HiddenUnit: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

extension OutputUnit: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

extension OptimizerChoice: ExpressibleByArgument {}

/// Parses `constant`, `step:INTERVAL:FACTOR`, `cosine[:MINIMUM]`, `warmup:STEPS[:cosine|step:…]`.
func parseSchedule(_ text: String, totalSteps: Int) -> LearningRateSchedule? {
    let parts = text.lowercased().split(separator: ":").map(String.init)
    switch parts.first {
    case "constant" where parts.count == 1: return .constant
    case "step" where parts.count == 3:
        guard let interval = Int(parts[1]), interval > 0, let factor = Double(parts[2]), factor > 0, factor.isFinite else { return nil }
        return .step(interval: interval, factor: factor)
    case "cosine" where parts.count <= 2:
        let minimum = parts.count == 2 ? Double(parts[1]) : 0
        guard let minimum, minimum >= 0, minimum.isFinite else { return nil }
        return .cosine(totalSteps: totalSteps, minimum: minimum)
    case "warmup" where parts.count >= 2:
        guard let steps = Int(parts[1]), steps > 0 else { return nil }
        let rest = parts.dropFirst(2).joined(separator: ":")
        guard let then = rest.isEmpty ? .constant : parseSchedule(rest, totalSteps: Swift.max(1, totalSteps - steps)) else { return nil }
        return .warmup(steps: steps, then: then)
    default: return nil
    }
}
