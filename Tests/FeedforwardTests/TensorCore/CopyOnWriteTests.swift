import Foundation
import Testing
@testable import Feedforward

@Suite struct CopyOnWriteTests {
    @Test func copiesShareUntilMutated() {
        let a: Tensor<Double> = [1, 2, 3]
        var b = a
        #expect(b.sharesStorage(with: a))
        b.withUnsafeMutableBufferPointer { $0[0] = 99 }
        #expect(!b.sharesStorage(with: a))
        #expect(a.scalars == [1, 2, 3])
        #expect(b.scalars == [99, 2, 3])
    }

    @Test func uniqueTensorsMutateInPlace() {
        var a = Tensor<Float>.zeros(shape: [4])
        let before = a.withUnsafeBufferPointer { $0.baseAddress }
        a.withUnsafeMutableBufferPointer { $0[2] = 5 }
        let after = a.withUnsafeBufferPointer { $0.baseAddress }
        #expect(before == after)
        #expect(a.scalars == [0, 0, 5, 0])
    }

    @Test func reshapeSharesAndMutationDetaches() {
        let m: Tensor<Double> = [[1, 2], [3, 4]]
        var r = m.reshaped(to: [4])
        #expect(r.sharesStorage(with: m))
        r.withUnsafeMutableBufferPointer { $0[3] = -1 }
        #expect(m.scalars == [1, 2, 3, 4])
        #expect(r.scalars == [1, 2, 3, -1])
        // Results of operations never alias their inputs' storage when the values differ.
        let e = exp(m)
        #expect(!e.sharesStorage(with: m))

        var leaf = Tensor<Double>([1, 2]).requiringGradient()
        #expect(leaf.requiresGradient)
        leaf.withUnsafeMutableBufferPointer { $0[0] = 3 }
        #expect(!leaf.requiresGradient)
        #expect(leaf.scalars == [3, 2])
    }

    @Test func concurrentReadsAgree() async {
        let a = testTensor([16, 16], seed: 123)
        let b = testTensor([16, 16], seed: 124)
        let reference = (matmul(a, b) + exp(a)).sum(alongAxes: [1])
        let results = await withTaskGroup(of: Tensor<Double>.self) { group in
            for _ in 0..<8 {
                group.addTask { (matmul(a, b) + exp(a)).sum(alongAxes: [1]) }
            }
            var all: [Tensor<Double>] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0 == reference })
        #expect(a == testTensor([16, 16], seed: 123))
    }
}
