import Foundation

/// The memory that training a network needs, estimated from its specification before anything is
/// allocated, so that a network too large for the machine is refused with figures instead of
/// aborting in the allocator.
///
/// The estimate counts 4-byte `Float` values:
/// - the parameters, their gradients and the optimizer's state buffers (0 for plain SGD, 1 for
///   momentum, 2 for RMSProp and Adam), each one value per parameter;
/// - the activations of one minibatch: per layer its output, pre-activation and their gradients
///   (four values per unit and example), and those of one evaluation batch of 1000 examples
///   (two values per unit and example), whichever is larger.
///
/// It does not count the dataset, which is already in memory when the estimate is made.
public struct MemoryEstimate: Sendable, Equatable, CustomStringConvertible {
    /// The number of parameters of the network.
    public var parameterCount: Int
    /// Bytes of parameters, gradients and optimizer state.
    public var parameterBytes: Int
    /// Bytes of the activations of one training or evaluation batch.
    public var activationBytes: Int

    /// The examples per batch `TrainingSession.evaluate(on:batchSize:)` uses by default.
    static let evaluationBatchSize = 1000

    /// The estimate for training `specification` with `optimizer` (and the `momentum` of ``OptimizerChoice/sgd``)
    /// in minibatches of `batchSize`, or nil when a size in it overflows 64-bit arithmetic (such a
    /// network cannot fit anywhere).
    public init?(specification: NetworkSpecification, optimizer: OptimizerChoice, momentum: Double = 0, batchSize: Int) {
        guard batchSize > 0, let shapes = TrainingSession.parameterShapes(of: specification) else { return nil }
        var parameters = 0
        var unitsPerExample = specification.inputSize
        for (name, shape) in shapes {
            guard let count = Self.product(shape), let sum = Self.sum(parameters, count) else { return nil }
            parameters = sum
            // Each layer's output width is the first dimension of its weight (or slope) tensor.
            if !name.hasSuffix(".bias") {
                guard let width = shape.first, let sum = Self.sum(unitsPerExample, width) else { return nil }
                unitsPerExample = sum
            }
        }
        let valuesPerParameter = 2 + optimizer.stateBuffersPerParameter(momentum: momentum)
        let trainingValues = Self.product([4, batchSize, unitsPerExample])
        let evaluationValues = Self.product([2, Self.evaluationBatchSize, unitsPerExample])
        guard let parameterBytes = Self.product([4, valuesPerParameter, parameters]),
              let trainingValues, let evaluationValues,
              let activationBytes = Self.product([4, Swift.max(trainingValues, evaluationValues)]),
              Self.sum(parameterBytes, activationBytes) != nil
        else { return nil }
        self.parameterCount = parameters
        self.parameterBytes = parameterBytes
        self.activationBytes = activationBytes
    }

    /// The total in bytes.
    public var totalBytes: Int { parameterBytes + activationBytes }

    public var description: String {
        "\(Self.format(bytes: totalBytes)) (\(parameterCount) parameters with gradients and optimizer state: \(Self.format(bytes: parameterBytes)); activations: \(Self.format(bytes: activationBytes)))"
    }

    /// A byte count in binary units with three significant digits, such as `1.50 GiB`.
    public static func format(bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.2f %@", value, units[unit])
    }

    static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (value, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = value
        }
        return result
    }

    static func sum(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }
}

extension OptimizerChoice {
    /// The state buffers the optimizer keeps per parameter tensor once it has taken a step (the
    /// velocity of momentum; RMSProp's running mean of squared gradients; Adam's two moment
    /// estimates); `momentum` is that of ``sgd``.
    public func stateBuffersPerParameter(momentum: Double = 0) -> Int {
        stateBufferNames(momentum: momentum).count
    }

    /// The suffixes of the state buffers the optimizer keeps per parameter once it has taken a step,
    /// `NAME.first` (a velocity or first moment) and `NAME.second` (a second moment).
    public func stateBufferNames(momentum: Double = 0) -> [String] {
        switch self {
        case .sgd: return momentum > 0 ? ["first"] : []
        case .momentum, .nesterov: return ["first"]
        case .rmsprop: return ["second"]
        case .adam, .adamw: return ["first", "second"]
        }
    }
}

/// The memory this process may use: the machine's physical memory, or the lowest limit of its
/// control group and their ancestors when one is set and lower.
public struct SystemMemory: Sendable, Equatable, CustomStringConvertible {
    /// The limit in bytes.
    public var bytes: Int
    /// Where the limit comes from, such as `physical memory` or `cgroup memory.max`.
    public var source: String

    /// Creates a limit of `bytes` from `source` (for tests and for callers with their own budget).
    public init(bytes: Int, source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// The limit of this machine and process, or nil when the platform does not report one.
    public static var current: SystemMemory? {
        var best: SystemMemory?
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, pageSize > 0, let total = MemoryEstimate.product([pages, pageSize]) {
            best = SystemMemory(bytes: total, source: "physical memory")
        }
        for (path, limit) in controlGroupLimits() where limit < best?.bytes ?? Int.max {
            best = SystemMemory(bytes: limit, source: "control group limit (\(path))")
        }
        return best
    }

    public var description: String { "\(MemoryEstimate.format(bytes: bytes)) (\(source))" }

    /// The memory limits of this process's control group and its ancestors, from the paths
    /// `/proc/self/cgroup` names: `memory.max` (cgroup v2) or `memory.limit_in_bytes` (v1).
    /// "max" and v1's near-`Int.max` "unlimited" are not limits.
    static func controlGroupLimits() -> [(path: String, bytes: Int)] {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return [] }
        return limitFiles(membership: membership).compactMap { path in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0, limit < 1 << 62
            else { return nil }
            return (path, limit)
        }
    }

    /// The limit files of the groups a `/proc/self/cgroup` text names, each group's before its parent's.
    static func limitFiles(membership: String) -> [String] {
        var files: [String] = []
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let controllers = fields[1].split(separator: ",")
            var group = String(fields[2])
            let (root, file): (String, String)
            if fields[0] == "0" && controllers.isEmpty {
                (root, file) = ("/sys/fs/cgroup", "memory.max")
            } else if controllers.contains("memory") {
                (root, file) = ("/sys/fs/cgroup/memory", "memory.limit_in_bytes")
            } else {
                continue
            }
            while true {
                files.append(root + (group == "/" ? "" : group) + "/" + file)
                guard group != "/", !group.isEmpty else { break }
                group = String(group[..<(group.lastIndex(of: "/") ?? group.startIndex)])
                if group.isEmpty { group = "/" }
            }
        }
        return files
    }
}
