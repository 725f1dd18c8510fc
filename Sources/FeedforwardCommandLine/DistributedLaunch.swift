import Feedforward
import Foundation

/// How `feedforward train` takes part in a job: alone, or as one rank of an Open MPI job.
enum DistributedLaunch {
    /// The communicator for this process: Open MPI's world when `mpirun` started the process or
    /// `requested` (`--distributed`) asks for it, else a world of one process.
    /// - Throws: ``CommunicatorError`` when MPI is wanted but no Open MPI library loads. A process
    ///   that `mpirun` started must not train alone: its copies would each write the same files.
    static func communicator(requested: Bool) throws -> any Communicator {
        guard requested || OpenMPICommunicator.isLaunchedByMPIRun else { return SingleProcessCommunicator() }
        return try OpenMPICommunicator()
    }

    /// Threads per rank when `--threads` is not given: the machine's cores shared among the ranks
    /// `mpirun` started on it.
    static func defaultThreads(for communicator: any Communicator) -> Int? {
        guard communicator.size > 1 else { return nil }
        return Swift.max(1, ProcessInfo.processInfo.activeProcessorCount / OpenMPICommunicator.localRankCount)
    }

    /// Runs `body` with this process's communicator (see ``communicator(requested:)``). An error
    /// becomes a message and a non-zero exit status; with more than one rank the message names the
    /// rank and `MPI_Abort` ends the whole job, so that no other rank waits for this one.
    static func reportingErrors<R>(distributed: Bool, _ body: (any Communicator) throws -> R) throws -> R {
        try FeedforwardCommandLine.reportingErrors {
            let communicator = try communicator(requested: distributed)
            guard communicator.size > 1 else { return try body(communicator) }
            do {
                return try body(communicator)
            } catch {
                printError("error on rank \(communicator.rank) of \(communicator.size): \(error)")
                communicator.abort(code: 1)
            }
        }
    }
}
