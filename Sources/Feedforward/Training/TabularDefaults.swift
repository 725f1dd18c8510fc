/// Settings that train a multilayer perceptron well on a typical table (a hundred to a few hundred
/// thousand rows, tens of columns) without tuning; the CLI uses them for CSV data when an option is
/// not given.
///
/// They start from scikit-learn's `MLPClassifier`/`MLPRegressor` defaults (one hidden layer of 100
/// ReLU units, Adam at 10⁻³, 200 epochs, every training row used, no validation split) and were
/// chosen on scikit-learn's bundled tables with `benchmarks/compare_tabular.py`:
/// - classes: minibatches of at most 32 (more updates on small tables, which 200 epochs of
///   minibatches of 200 leave underfitted) and an L2 penalty of 0.01;
/// - values (standardised targets): minibatches of at most 200 and an L2 penalty of 0.03, since
///   noisy regression tables overfit sooner.
public enum TabularDefaults {
    /// The hidden layer sizes.
    public static let hiddenSizes = [100]

    /// Training options for `trainingCount` training rows, for classes or for values (`regression`).
    public static func options(trainingCount: Int, regression: Bool) -> TrainingOptions {
        var options = TrainingOptions()
        options.optimizer = .adam
        options.learningRate = 1e-3
        options.epochs = 200
        options.batchSize = Swift.max(1, Swift.min(regression ? 200 : 32, trainingCount))
        options.weightDecay = regression ? 0.03 : 0.01
        options.earlyStoppingPatience = nil
        options.validationFraction = 0
        options.restoresBestParameters = true
        return options
    }
}
