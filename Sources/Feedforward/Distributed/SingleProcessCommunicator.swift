import Foundation

/// A world of one process: collectives return at once and leave the data as it is.
public struct SingleProcessCommunicator: Communicator {
    /// The only rank of a world of one process.
    public init() {}

    /// Always 0.
    public var rank: Int { 0 }
    /// Always 1.
    public var size: Int { 1 }
    /// Leaves `buffer` as it is: the sum over one rank.
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    /// Leaves `buffer` as it is: the sum over one rank.
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    /// Leaves `buffer` as it is: this process is the root.
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) {
        precondition(root == 0, "broadcast from rank \(root) in a world of one process")
    }
    /// Returns at once.
    public func barrier() {}
    /// Exits the process with `code`.
    public func abort(code: Int32) -> Never { exit(code) }
    /// Always 0: nothing is communicated.
    public var allreduceSeconds: Double { 0 }
}
