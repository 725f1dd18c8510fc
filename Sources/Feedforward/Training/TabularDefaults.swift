/// Settings that train a multilayer perceptron well on a typical table (a few hundred to a few
/// hundred thousand rows, tens of columns) without tuning; the CLI uses them for CSV data when an
/// option is not given.
///
/// They follow scikit-learn's `MLPClassifier`/`MLPRegressor` defaults where those work (one hidden
/// layer of 100 ReLU units, Adam at 10⁻³, at most 200 epochs, minibatches of at most 200) and add
/// early stopping on a validation split that restores the best epoch's parameters.
public enum TabularDefaults {
    /// The hidden layer sizes.
    public static let hiddenSizes = [100]

    /// Training options for `trainingCount` training rows.
    public static func options(trainingCount: Int) -> TrainingOptions {
        var options = TrainingOptions()
        options.optimizer = .adam
        options.learningRate = 1e-3
        options.epochs = 200
        options.batchSize = Swift.max(1, Swift.min(200, trainingCount))
        options.earlyStoppingPatience = 20
        options.validationFraction = 0.1
        options.restoresBestParameters = true
        return options
    }
}
