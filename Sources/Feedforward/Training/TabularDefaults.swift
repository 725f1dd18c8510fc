/// Settings that train a multilayer perceptron well on a typical table (a hundred to a few hundred
/// thousand rows, tens of columns) without tuning; the CLI uses them for CSV data when an option is
/// not given.
///
/// They start from scikit-learn's `MLPClassifier`/`MLPRegressor` defaults (one hidden layer of 100
/// ReLU units, Adam at 10⁻³, 200 epochs, every training row used, no validation split) and differ
/// where a rule says why:
/// - **L2 penalty for values from the row count.** The penalty λΣw² is added to the *mean* loss over
///   the rows, so a fixed λ weighs the same prior against 100 rows as against 100 000. For values λ
///   falls as `c / rows`, as a Gaussian prior on the weights does (and scikit-learn's `alpha`, which
///   it divides by the rows of a batch): see ``weightDecay(trainingCount:regression:)``. Classes keep a
///   fixed 0.01: the same rule (c = 1.2) raised digits from 0.968 to 0.981 but lowered two
///   `make_classification` tables by 0.024 and 0.030 (`benchmarks/compare_tabular.py`, five seeds).
/// - **A linear path for values** (``linearPath(regression:)``): the output layer also sees the inputs,
///   and the CLI starts it at the penalised least-squares fit
///   (``TrainingSession/startLinearPathAtLeastSquares(on:)``), so training begins at ridge regression
///   and the hidden units add what they find; a nearly linear table is not left to ReLU units
///   imitating a linear fit that 200 epochs of Adam do not reach.
/// - **Minibatches** of at most 32 rows, so that a small table gets enough updates in 200 epochs.
public enum TabularDefaults {
    /// The hidden layer sizes.
    public static let hiddenSizes = [100]

    /// The batch size cap: min(32, rows).
    public static let batchSize = 32

    /// The constant `c` of the penalty λ = c / rows for values (standardised targets, mean squared
    /// error): ridge regression's α on standardised columns. Chosen with `benchmarks/compare_tabular.py`
    /// (on its seed 0, c = 30 and 100 lost 0.06-0.28 R² on friedman1-3 and gained 0.02-0.03 on diabetes).
    public static let valuePenaltyScale = 10.0

    /// The L2 penalty λ for classes.
    public static let classPenalty = 0.01

    /// The L2 penalty λ for `trainingCount` training rows: for values `c / rows` with `c` =
    /// ``valuePenaltyScale``, for classes ``classPenalty``.
    public static func weightDecay(trainingCount: Int, regression: Bool) -> Double {
        regression ? valuePenaltyScale / Double(Swift.max(1, trainingCount)) : classPenalty
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
