import Foundation
import Testing
@testable import Feedforward

@Suite struct EqualityTests {
    @Test func exactEquality() {
        let a: Tensor<Double> = [[1, 2], [3, 4]]
        #expect(a == Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
        #expect(a != a.reshaped(to: [4]))
        #expect(a != Tensor(shape: [2, 2], scalars: [1, 2, 3, 5]))
        let n = Tensor<Double>([.nan])
        #expect(n != n)  // as for scalars
        #expect(Tensor<Double>([0]) == Tensor<Double>([-0.0]))
        #expect(Tensor<Double>.zeros(shape: [0]) == Tensor<Double>.zeros(shape: [0]))
    }

    @Test func approximateEquality() {
        let a: Tensor<Double> = [1, 100]
        #expect(a.isApproximatelyEqual(to: Tensor([1 + 1e-7, 100 + 1e-4])))
        #expect(!a.isApproximatelyEqual(to: Tensor([1 + 1e-4, 100])))
        #expect(!a.isApproximatelyEqual(to: Tensor([1, 100.01])))
        #expect(a.isApproximatelyEqual(to: Tensor([1.1, 100]), absoluteTolerance: 0.2))
        #expect(!a.isApproximatelyEqual(to: Tensor(shape: [2, 1], scalars: [1, 100])))
        // NaN matches only NaN, and an infinity only the same infinity.
        let special: Tensor<Double> = [.scalar(.nan), .scalar(.infinity), .scalar(-.infinity)]
        #expect(special.isApproximatelyEqual(to: special))
        #expect(!Tensor<Double>([.nan]).isApproximatelyEqual(to: Tensor([1])))
        #expect(!Tensor<Double>([1]).isApproximatelyEqual(to: Tensor([.nan])))
        #expect(!Tensor<Double>([1]).isApproximatelyEqual(to: Tensor([.infinity])))
        #expect(!Tensor<Double>([.infinity]).isApproximatelyEqual(to: Tensor([1e308])))
        #expect(!Tensor<Double>([.infinity]).isApproximatelyEqual(to: Tensor([-.infinity])))
        #expect(!Tensor<Float>([1e30]).isApproximatelyEqual(to: Tensor([.infinity])))
    }

    @Test func descriptions() {
        let m: Tensor<Double> = [[1, 2], [3, 4]]
        #expect(m.description == "[[1.0, 2.0], [3.0, 4.0]]")
        #expect(Tensor<Float>([0.5]).description == "[0.5]")
        #expect(Tensor<Double>.zeros(shape: [40, 40]).description == "Tensor(shape: [40, 40])")
    }
}
