/// L2 weight decay `λ Σ w²` over the model's weights (the penalty of section 6.5.7, whose gradient is
/// `2λw`). By default only parameters of rank 2 or more count: weights, not biases.
public func l2Penalty<Model: Layer>(_ model: Model, strength: Model.Scalar, includingBiases: Bool = false) -> Tensor<Model.Scalar> {
    penalty(model, includingBiases: includingBiases) { square($0).sum() * strength }
}

/// L1 penalty `λ Σ |w|` over the model's weights (by default not biases).
public func l1Penalty<Model: Layer>(_ model: Model, strength: Model.Scalar, includingBiases: Bool = false) -> Tensor<Model.Scalar> {
    penalty(model, includingBiases: includingBiases) { abs($0).sum() * strength }
}

func penalty<Model: Layer>(
    _ model: Model, includingBiases: Bool, _ term: (Tensor<Model.Scalar>) -> Tensor<Model.Scalar>
) -> Tensor<Model.Scalar> {
    model.parameters.filter { includingBiases || $0.value.rank >= 2 }.map { term($0.value) }.reduce(Tensor(0), +)
}
