import Dispatch

/// Element counts from which ``parallelChunks(count:minimumPerThread:_:)`` splits work across threads.
///
/// Measured with `feedforward-bench parallel` (release, 2 cores): below this count the cost of waking
/// worker threads is larger than what a second core saves on float add/exp loops.
@usableFromInline let parallelElementThreshold = 1 << 20

/// Runs `body` over consecutive sub-ranges that together cover `0..<count`.
///
/// Small counts (below ``parallelElementThreshold`` or with too little work per thread) run as one
/// call on the calling thread; large ones are split into ``ComputeEnvironment/threadCount`` chunks
/// run with `DispatchQueue.concurrentPerform`. `body` must be safe to call concurrently on disjoint
/// ranges.
///
/// - Parameters:
///   - count: number of elements.
///   - minimumPerThread: fewest elements worth giving a thread.
///   - body: the work for one range of element indices.
@inlinable
func parallelChunks(count: Int, minimumPerThread: Int = 1 << 18, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = min(ComputeEnvironment.threadCount, count / max(1, minimumPerThread))
    if count < parallelElementThreshold || threads <= 1 {
        body(0..<count)
        return
    }
    withoutActuallyEscaping(body) { escapable in
        // The chunks are disjoint and concurrentPerform returns only after every one has run, so
        // sharing the non-Sendable closure across the worker threads is safe by construction.
        nonisolated(unsafe) let body = escapable
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let lower = count * t / threads
            let upper = count * (t + 1) / threads
            body(lower..<upper)
        }
    }
}
