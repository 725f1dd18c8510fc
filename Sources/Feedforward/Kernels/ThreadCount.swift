import Foundation

/// Why a thread count given in the environment is refused.
public struct ThreadCountError: Error, Equatable, CustomStringConvertible {
    /// The environment variable's text, as given.
    public var value: String
    /// What the variable must hold, and what it held.
    public var description: String {
        "FEEDFORWARD_THREADS must be an integer in 1...\(ComputeEnvironment.maximumThreadCount) (four per processor; more only slows training), got '\(value)'"
    }
}

extension ComputeEnvironment {
    /// The most threads the kernels run on: four per active processor. More only adds switching and
    /// synchronisation (issue 16 measured an epoch with 10 000 threads 35 times slower).
    public static var maximumThreadCount: Int { 4 * ProcessInfo.processInfo.activeProcessorCount }

    /// The thread count that `value`, the text of the environment variable `FEEDFORWARD_THREADS`,
    /// asks for: an integer in `1...maximumThreadCount`, surrounding spaces allowed.
    ///
    /// The library itself never fails on the variable: it clamps an integer into that range and
    /// uses the number of active processors for anything else.
    /// The `feedforward` command refuses a value this function rejects, as it refuses such a `--threads`.
    /// - Throws: ``ThreadCountError`` for anything else (not a number, 0, negative, too many).
    public static func requestedThreadCount(environmentValue value: String) throws(ThreadCountError) -> Int {
        guard let count = Int(value.trimmingCharacters(in: .whitespaces)), (1...maximumThreadCount).contains(count) else {
            throw ThreadCountError(value: value)
        }
        return count
    }

    /// The thread count the kernels start with, given the text of `FEEDFORWARD_THREADS` (`nil` or
    /// empty when unset): an integer clamped into `1...maximumThreadCount`, else (unset or not an
    /// integer) the number of active processors.
    static func initialThreadCount(environmentValue value: String?) -> Int {
        let processors = ProcessInfo.processInfo.activeProcessorCount
        guard let value, let requested = Int(value.trimmingCharacters(in: .whitespaces)) else { return max(1, processors) }
        return clampedThreadCount(requested)
    }

    /// `count` clamped into `1...maximumThreadCount`.
    static func clampedThreadCount(_ count: Int) -> Int {
        min(max(count, 1), maximumThreadCount)
    }
}
