/// A seedable random number generator that yields the same sequence on every platform and
/// Swift version: xoshiro256** (Blackman and Vigna, 2018), seeded by expanding a 64-bit seed
/// with SplitMix64.
///
/// Its whole state is `state` (four words); save it in a checkpoint and restore it with
/// `init(state:)` to continue the exact sequence.
///
/// The helpers `nextInt(below:)`, `shuffle(_:)` and `permutation(count:)` use fixed algorithms
/// (Lemire's bounded integers, Fisher-Yates) rather than the standard library's, whose exact
/// use of the generator is not guaranteed to stay the same across releases.
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Equatable, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Creates a generator whose state is four outputs of SplitMix64 started at `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    /// Restores a generator from `state`; nil unless it holds four words, not all zero.
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    /// The generator's whole state, for checkpoints.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject method; unbiased).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// A uniform `Double` in [0, 1) from the top 53 bits of `next()`.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform `Float` in [0, 1) from the top 24 bits of `next()`.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Shuffles `array` in place (Fisher-Yates, from the last element down).
    public mutating func shuffle<Element>(_ array: inout [Element]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            array.swapAt(i, j)
        }
    }

    /// A random permutation of `0..<count`.
    public mutating func permutation(count: Int) -> [Int] {
        precondition(count >= 0, "count must not be negative")
        var indices = Array(0..<count)
        shuffle(&indices)
        return indices
    }
}
