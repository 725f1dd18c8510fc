/// Settings that train a multilayer perceptron well on a typical table (a hundred to a few hundred
/// thousand rows, tens of columns) without tuning; the CLI uses them for CSV data when an option is
/// not given.
///
/// They start from scikit-learn's `MLPClassifier`/`MLPRegressor` defaults (one hidden layer of 100
/// ReLU units, Adam at 10⁻³, 200 epochs, every training row used, no validation split) and differ
/// where a rule says why:
/// - **L2 penalty from the row count.** The penalty λΣw² is added to the *mean* loss over the rows,
///   so a fixed λ weighs the same prior against 100 rows as against 100 000 (too little on the first,
///   too much on the second). As in a Gaussian prior on the weights (and scikit-learn's `alpha`,
///   which it divides by the rows of a batch), λ falls as `c / rows`: see ``weightDecay(trainingCount:regression:)``.
/// - **A linear path for values** (``linearPath(regression:)``): the output layer also sees the inputs,
///   so a nearly linear table is fitted by the linear part rather than by ReLU units imitating it.
/// - **Minibatches** of at most 32 rows, so that a small table gets enough updates in 200 epochs.
public enum TabularDefaults {
    /// The hidden layer sizes.
    public static let hiddenSizes = [100]

    /// The batch size cap: min(32, rows).
    public static let batchSize = 32

    /// The constant `c` of the penalty λ = c / rows, for classes and for values (standardised
    /// targets, mean squared error).
    public static let penaltyScale = (classes: 1.2, values: 10.0)

    /// The L2 penalty λ for `trainingCount` training rows: `c / rows` with `c` from ``penaltyScale``.
    public static func weightDecay(trainingCount: Int, regression: Bool) -> Double {
        (regression ? penaltyScale.values : penaltyScale.classes) / Double(Swift.max(1, trainingCount))
    }

    /// Whether the network has a linear path from the inputs to the output
    /// (``NetworkSpecification/linearPath``): for values.
    public static func linearPath(regression: Bool) -> Bool { regression }

    /// Training options for `trainingCount` training rows, for classes or for values (`regression`).
    public static func options(trainingCount: Int, regression: Bool) -> TrainingOptions {
        var options = TrainingOptions()
        options.optimizer = .adam
        options.learningRate = 1e-3
        options.epochs = 200
        options.batchSize = Swift.max(1, Swift.min(batchSize, trainingCount))
        options.weightDecay = weightDecay(trainingCount: trainingCount, regression: regression)
        options.earlyStoppingPatience = nil
        options.validationFraction = 0
        options.restoresBestParameters = true
        return options
    }
}
