import CFeedforwardKernels
import Foundation

/// `MPI_COMM_WORLD` of an Open MPI job, with `libmpi` loaded at run time: the package builds and runs
/// without MPI, and only creating this communicator needs it.
///
/// The library is `libmpi.so.40`, else `libmpi.so`, or the path in the environment variable
/// `FEEDFORWARD_MPI`. Only Open MPI is accepted (its handles are addresses of global objects; other
/// MPI implementations number them). MPI is initialised once per process (`MPI_THREAD_SERIALIZED`:
/// call collectives from one thread at a time) and finalised at exit.
public struct OpenMPICommunicator: Communicator {
    public let rank: Int
    public let size: Int

    /// Loads and initialises MPI. A process not started by `mpirun` is a world of one rank.
    /// - Throws: ``CommunicatorError/unavailable(_:)`` when no Open MPI library loads, with the
    ///   reason; ``CommunicatorError/initializationFailed(code:)`` when `MPI_Init_thread` fails.
    public init() throws(CommunicatorError) {
        guard ff_mpi_load() == FF_MPI_LOADED else {
            throw .unavailable(ff_mpi_load_message().map { String(cString: $0) } ?? "the MPI library did not load")
        }
        let code = ff_mpi_initialize()
        guard code == 0 else { throw .initializationFailed(code: code) }
        rank = Int(ff_mpi_rank())
        size = Int(ff_mpi_size())
    }

    /// Whether Open MPI's launcher started this process (it sets `OMPI_COMM_WORLD_SIZE`).
    public static var isLaunchedByMPIRun: Bool {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil
    }

    /// The number of ranks `mpirun` started on this machine, from its environment (1 when not launched by it).
    public static var localRankCount: Int {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init).map { Swift.max($0, 1) } ?? 1
    }

    /// The loaded library's version text (`MPI_Get_library_version`), or nil when none loads.
    public static var libraryVersion: String? {
        ff_mpi_library_version().map { String(cString: $0) }
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard let base = buffer.baseAddress else { return }
        check(ff_mpi_allreduce_sum_float(base, buffer.count), "MPI_Allreduce")
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        guard let base = buffer.baseAddress else { return }
        check(ff_mpi_allreduce_sum_double(base, buffer.count), "MPI_Allreduce")
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, from root: Int) {
        precondition((0..<size).contains(root), "broadcast from rank \(root) of \(size)")
        guard let base = buffer.baseAddress else { return }
        check(ff_mpi_broadcast(base, buffer.count, Int32(root)), "MPI_Bcast")
    }

    public func barrier() { check(ff_mpi_barrier(), "MPI_Barrier") }

    public func abort(code: Int32) -> Never { ff_mpi_abort(code) }

    public var allreduceSeconds: Double { ff_mpi_allreduce_seconds() }

    /// Ends the job when an MPI call returned an error (with error handlers that return instead of aborting).
    private func check(_ code: Int32, _ call: String) {
        guard code != 0 else { return }
        FileHandle.standardError.write(Data("error on rank \(rank) of \(size): \(call) failed with error code \(code)\n".utf8))
        abort(code: 1)
    }
}
