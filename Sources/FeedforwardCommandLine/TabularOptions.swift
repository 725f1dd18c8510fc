import ArgumentParser
import Feedforward

/// Options for CSV data: separate test and validation files, the test fraction and missing values.
struct TabularOptions: ParsableArguments {
    @Option(help: "A CSV file to test on (csv:PATH), encoded with the training file's columns, classes and categories; the whole --dataset file then trains.")
    var testDataset: String?

    @Option(help: "A CSV file to validate on (csv:PATH), for early stopping, instead of a --validation-fraction of the training file.")
    var validationDataset: String?

    @Option(help: "The fraction of a CSV --dataset held out as test data when no --test-dataset is given (default 0.2; 0 trains on the whole file).")
    var testFraction: Double?

    @Option(help: "Missing values (empty, NA, N/A, NaN, null, ?) in CSV feature columns: error (stop, naming the row and column), mean or median (fill numeric columns with the training rows' mean or median, categorical ones with the most frequent category; stored in the model).")
    var impute = MissingValueStrategy.error

    /// Whether a separate test or validation file is given.
    var givesFiles: Bool { testDataset != nil || validationDataset != nil }

    func validate() throws {
        if let testFraction, !(0..<1).contains(testFraction) {
            throw ValidationError("--test-fraction must be in [0, 1), got \(testFraction)")
        }
        if testFraction != nil && testDataset != nil {
            throw ValidationError("--test-fraction and --test-dataset exclude each other: with a test file the whole --dataset file trains")
        }
        _ = try testFile()
        _ = try validationFile()
    }

    func testFile() throws -> String? { try csvPath(testDataset, option: "--test-dataset") }

    func validationFile() throws -> String? { try csvPath(validationDataset, option: "--validation-dataset") }

    func csvPath(_ argument: String?, option: String) throws -> String? {
        guard let argument else { return nil }
        guard argument.hasPrefix("csv:"), argument.count > 4 else {
            throw ValidationError("\(option) takes a CSV file as csv:PATH, got '\(argument)'")
        }
        return String(argument.dropFirst(4))
    }

    /// The splits of `source` with these options (the test and validation files replace the fractions).
    func loadSplits(
        _ source: DataSource, validationFraction: Double, seed: UInt64, testFraction: Double, schema: TabularSchema?
    ) throws -> DataSplits {
        try DataSplits.load(
            source, validationFraction: validationFraction, seed: seed, testFraction: testFraction,
            testFile: testFile(), validationFile: validationFile(), missingValues: impute, schema: schema)
    }
}

extension MissingValueStrategy: ExpressibleByArgument {}
