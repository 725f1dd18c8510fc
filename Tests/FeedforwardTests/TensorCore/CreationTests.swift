import Foundation
import Testing
@testable import Feedforward

@Suite struct CreationTests {
    @Test func shapeAndScalars() {
        let t = Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t.shape == [2, 3])
        #expect(t.rank == 2)
        #expect(t.scalarCount == 6)
        #expect(t.scalars == [1, 2, 3, 4, 5, 6])
        #expect(t[element: [0, 1]] == 2)
        #expect(t[element: [1, 2]] == 6)
        let fromCollection = Tensor<Double>(shape: [3], (1...3).map(Double.init))
        #expect(fromCollection.scalars == [1, 2, 3])
        let vector = Tensor<Double>([4, 5])
        #expect(vector.shape == [2])
    }

    @Test func rankZeroAndEmpty() throws {
        let s = Tensor<Double>(3.5)
        #expect(s.shape == [])
        #expect(s.rank == 0)
        #expect(s.scalarCount == 1)
        #expect(s.scalar == 3.5)
        #expect(s[element: []] == 3.5)
        #expect(s.description == "3.5")

        let e = Tensor<Double>(shape: [0, 3], scalars: [])
        #expect(e.shape == [0, 3])
        #expect(e.rank == 2)
        #expect(e.scalarCount == 0)
        #expect(e.scalars == [])
        #expect(e.description == "Tensor(shape: [0, 3], [])")
        #expect(e == Tensor<Double>.zeros(shape: [0, 3]))
        #expect(e != Tensor<Double>.zeros(shape: [3, 0]))

        let emptyVector = Tensor<Float>([Float]())
        #expect(emptyVector.shape == [0])
        let validated = try Tensor<Double>(validatingShape: [], scalars: [7])
        #expect(validated.shape == [] && validated.scalar == 7)
        let validatedEmpty = try Tensor<Double>(validatingShape: [4, 0, 2], scalars: [])
        #expect(validatedEmpty.scalarCount == 0)
    }

    @Test func validatingInitializerThrows() {
        #expect(throws: TensorShapeError.scalarCountMismatch(shape: [2, 2], expected: 4, actual: 3)) {
            try Tensor<Float>(validatingShape: [2, 2], scalars: [1, 2, 3])
        }
        #expect(throws: TensorShapeError.scalarCountMismatch(shape: [], expected: 1, actual: 0)) {
            try Tensor<Float>(validatingShape: [], scalars: [])
        }
        #expect(throws: TensorShapeError.negativeDimension(shape: [2, -1])) {
            try Tensor<Float>(validatingShape: [2, -1], scalars: [])
        }
        #expect(throws: TensorShapeError.negativeDimension(shape: [0, -3])) {
            try Tensor<Double>(validatingShape: [0, -3], scalars: [])
        }
        #expect(throws: TensorShapeError.tooManyElements(shape: [Int.max, 2])) {
            try Tensor<Double>(validatingShape: [Int.max, 2], scalars: [])
        }
        #expect(throws: TensorShapeError.tooManyElements(shape: [1 << 32, 1 << 32])) {
            try Tensor<Double>(validatingShape: [1 << 32, 1 << 32], scalars: [1])
        }
        // The messages name the problem.
        #expect(TensorShapeError.negativeDimension(shape: [2, -1]).description.contains("negative"))
        #expect(TensorShapeError.ragged(path: "[1]").description.contains("[1]"))
    }

    @Test func nestedLiterals() throws {
        let cube: Tensor<Double> = [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
        #expect(cube.shape == [2, 2, 2])
        #expect(cube.scalars == [1, 2, 3, 4, 5, 6, 7, 8])
        let matrix: Tensor<Float> = [[1.5, 2], [3, -4.25]]
        #expect(matrix.shape == [2, 2])
        #expect(matrix.scalars == [1.5, 2, 3, -4.25])
        let vector: Tensor<Double> = [1, 2, 3]
        #expect(vector.shape == [3])

        // The throwing path behind the literals.
        let ragged: TensorLiteral<Double> = [[1, 2], [3]]
        #expect(throws: TensorShapeError.ragged(path: "[1]")) { try ragged.flattened() }
        let deep: TensorLiteral<Double> = [[[1], [2]], [[3], [4, 5]]]
        #expect(throws: TensorShapeError.ragged(path: "[1][1]")) { try deep.flattened() }
        let mixed: TensorLiteral<Double> = [1, [2]]
        #expect(throws: TensorShapeError.ragged(path: "[1]")) { try mixed.flattened() }
        let emptyRows: TensorLiteral<Double> = [[], []]
        let flattened = try emptyRows.flattened()
        #expect(flattened.shape == [2, 0] && flattened.scalars.isEmpty)

        let rows = try Tensor<Double>(rows: [[1, 2, 3], [4, 5, 6]])
        #expect(rows.shape == [2, 3] && rows.scalars == [1, 2, 3, 4, 5, 6])
        #expect(throws: TensorShapeError.ragged(path: "row 1")) { try Tensor<Double>(rows: [[1, 2], [3]]) }
        let noRows = try Tensor<Double>(rows: [])
        #expect(noRows.shape == [0, 0])
    }

    @Test func factories() {
        #expect(Tensor<Float>.zeros(shape: [2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor<Float>.ones(shape: [3]).scalars == [1, 1, 1])
        #expect(Tensor<Double>.full(shape: [2], value: -2.5).scalars == [-2.5, -2.5])
        #expect(Tensor<Double>.zeros(like: Tensor<Double>(shape: [2, 1], scalars: [3, 4])) == Tensor(shape: [2, 1], scalars: [0, 0]))
        #expect(Tensor<Double>(repeating: 7, shape: []).scalar == 7)
        #expect(Tensor<Double>.ones(shape: [0, 4]).shape == [0, 4])

        #expect(Tensor<Double>.arange(to: 5).scalars == [0, 1, 2, 3, 4])
        #expect(Tensor<Double>.arange(from: 1, to: 2, by: 0.25).scalars == [1, 1.25, 1.5, 1.75])
        #expect(Tensor<Float>.arange(from: 3, to: 0, by: -1).scalars == [3, 2, 1])
        #expect(Tensor<Double>.arange(from: 0, to: 2.5).scalars == [0, 1, 2])
        #expect(Tensor<Double>.arange(from: 2, to: 2).shape == [0])
        #expect(Tensor<Double>.arange(from: 3, to: 1).shape == [0])
        // Every value lies below the end, even when (end - start) / step rounds above an integer.
        for (start, end, step) in [(1.0, 1.3, 0.1), (0, 0.3, 0.1), (0, 1, 0.1), (0.1, 0.7, 0.2), (2, 1.4, -0.2), (0, -0.9, -0.3)] {
            let values = Tensor<Double>.arange(from: start, to: end, by: step).scalars
            let expectedCount = Int(((end - start) / step).rounded(.toNearestOrAwayFromZero))
            #expect(values.count == expectedCount, "arange(\(start), \(end), \(step)) = \(values)")
            #expect(values.allSatisfy { step > 0 ? $0 < end : $0 > end }, "arange(\(start), \(end), \(step)) = \(values)")
        }

        #expect(Tensor<Double>.linspace(from: 0, to: 1, count: 5).scalars == [0, 0.25, 0.5, 0.75, 1])
        let l = Tensor<Double>.linspace(from: 0, to: 0.3, count: 4)
        #expect(l.scalars.last == 0.3 && l.scalars.first == 0)
        #expect(allClose(l.scalars, [0, 0.1, 0.2, 0.3], tolerance: 1e-15))
        #expect(Tensor<Double>.linspace(from: 2, to: -2, count: 3).scalars == [2, 0, -2])
        #expect(Tensor<Double>.linspace(from: 5, to: 9, count: 1).scalars == [5])
        #expect(Tensor<Double>.linspace(from: 5, to: 9, count: 0).shape == [0])

        #expect(Tensor<Double>.identity(size: 3).scalars == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(Tensor<Double>.identity(size: 0).shape == [0, 0])
        #expect(Tensor<Float>.identity(size: 1).scalars == [1])
    }

    @Test func conversionBetweenScalarTypes() {
        let d: Tensor<Double> = [[0.5, -1], [1e300, 3]]
        let f = Tensor<Float>(d)
        #expect(f.shape == [2, 2])
        #expect(f.scalars == [0.5, -1, Float.infinity, 3])
        #expect(Tensor<Double>(f).scalars == [0.5, -1, .infinity, 3])
    }

    @Test func randomUniformIsDeterministicAndInRange() {
        var g1 = SplitMix64(seed: 42)
        var g2 = SplitMix64(seed: 42)
        var g3 = SplitMix64(seed: 43)
        let a = Tensor<Double>.randomUniform(shape: [100], lower: -2, upper: 3, using: &g1)
        let b = Tensor<Double>.randomUniform(shape: [100], lower: -2, upper: 3, using: &g2)
        let c = Tensor<Double>.randomUniform(shape: [100], lower: -2, upper: 3, using: &g3)
        #expect(a == b)
        #expect(a != c)
        #expect(a.shape == [100])
        #expect(a.scalars.allSatisfy { $0 >= -2 && $0 < 3 })

        // Independently: one draw per element, the top 53 bits as a fraction of [0, 1).
        var reference = SplitMix64(seed: 42)
        let expected = (0..<100).map { _ in -2 + 5 * (Double(reference.next() >> 11) * 0x1p-53) }
        #expect(allClose(a.scalars, expected, tolerance: 1e-15))

        var g = SplitMix64(seed: 7)
        let many = Tensor<Float>.randomUniform(shape: [100, 100], using: &g).scalars.map(Double.init)
        #expect(many.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = many.reduce(0, +) / Double(many.count)
        #expect(Swift.abs(mean - 0.5) < 0.02)
        let variance = many.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(many.count)
        #expect(Swift.abs(variance - 1.0 / 12) < 0.01)
        #expect(Tensor<Double>.randomUniform(shape: [0, 3], using: &g).shape == [0, 3])
    }

    @Test func randomUniformExcludesTheUpperBound() {
        // The largest possible draw must still fall below `upper`, in Float and in Double.
        var high = ConstantGenerator(value: .max)
        let f = Tensor<Float>.randomUniform(shape: [2], using: &high)
        #expect(f.scalars.allSatisfy { $0 < 1 }, "\(f.scalars)")
        let d = Tensor<Double>.randomUniform(shape: [2], lower: 1, upper: 2, using: &high)
        #expect(d.scalars.allSatisfy { $0 >= 1 && $0 < 2 }, "\(d.scalars)")
        var low = ConstantGenerator(value: 0)
        #expect(Tensor<Float>.randomUniform(shape: [1], lower: -1, upper: 1, using: &low).scalars == [-1])
    }

    @Test func randomNormalStatistics() {
        var g1 = SplitMix64(seed: 2024)
        var g2 = SplitMix64(seed: 2024)
        let a = Tensor<Double>.randomNormal(shape: [3], using: &g1)
        let b = Tensor<Double>.randomNormal(shape: [3], using: &g2)
        #expect(a == b)
        #expect(a.shape == [3])

        var g = SplitMix64(seed: 99)
        let n = 20_000
        let samples = Tensor<Double>.randomNormal(shape: [n], mean: 3, standardDeviation: 2, using: &g).scalars
        #expect(samples.allSatisfy { $0.isFinite })
        let mean = samples.reduce(0, +) / Double(n)
        let std = (samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
        // Standard error of the mean is 2/√20000 ≈ 0.014; of the standard deviation ≈ 0.01.
        #expect(Swift.abs(mean - 3) < 0.07, "mean \(mean)")
        #expect(Swift.abs(std - 2) < 0.07, "std \(std)")
        let within = samples.filter { Swift.abs($0 - 3) < 2 }.count
        #expect(Swift.abs(Double(within) / Double(n) - 0.6827) < 0.02)

        var gf = SplitMix64(seed: 5)
        let floats = Tensor<Float>.randomNormal(shape: [2, 5], using: &gf)
        #expect(floats.shape == [2, 5] && floats.scalars.allSatisfy { $0.isFinite })

        // The most extreme draws stay finite.
        var zero = ConstantGenerator(value: 0)
        #expect(Tensor<Double>.randomNormal(shape: [2], mean: 1, using: &zero).scalars == [1, 1])
        var high = ConstantGenerator(value: .max)
        #expect(Tensor<Float>.randomNormal(shape: [4], using: &high).scalars.allSatisfy { $0.isFinite })
        #expect(Tensor<Double>.randomNormal(shape: [0], using: &g).shape == [0])
    }
}
