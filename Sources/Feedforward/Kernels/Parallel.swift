import Dispatch

/// Default fewest elements per thread in ``parallelChunks(count:minimumPerThread:_:)``: cheap
/// element-wise loops (a float add) split across 2 threads from 2 x this = 1 Mi elements.
///
/// Measured with `feedforward-bench parallel` (release, 2 cores, medians): a float add over 256 Ki
/// elements took 58 µs on one thread and 88 µs split in two (waking a worker costs more than it saves);
/// over 1 Mi elements, 301 µs vs 142 µs. `Foundation.exp` (about 6 ns an element) gains from about
/// 256 Ki elements (1565 vs 1416 µs) and clearly at 1 Mi (6030 vs 3218 µs), so costly element-wise
/// functions may pass a smaller `minimumPerThread` (about 1 << 17).
@usableFromInline let parallelMinimumPerThread = 1 << 19

/// Runs `body` over consecutive sub-ranges that together cover `0..<count`.
///
/// The range is split into `min(ComputeEnvironment.threadCount, count / minimumPerThread)` chunks
/// run with `DispatchQueue.concurrentPerform`; with fewer than two chunks (in particular for any
/// `count` below `2 * minimumPerThread`) `body` runs once, on the calling thread, over the whole range.
/// `body` must be safe to call concurrently on disjoint ranges.
///
/// - Parameters:
///   - count: number of elements.
///   - minimumPerThread: fewest elements worth giving a thread; the default suits cheap arithmetic.
///   - body: the work for one range of element indices.
@inlinable
func parallelChunks(count: Int, minimumPerThread: Int = parallelMinimumPerThread, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = min(ComputeEnvironment.threadCount, count / max(1, minimumPerThread))
    if threads <= 1 {
        body(0..<count)
        return
    }
    withoutActuallyEscaping(body) { escapable in
        // The chunks are disjoint and concurrentPerform returns only after every one has run, so
        // sharing the non-Sendable closure across the worker threads is safe by construction.
        nonisolated(unsafe) let body = escapable
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            body(count * t / threads..<count * (t + 1) / threads)
        }
    }
}
