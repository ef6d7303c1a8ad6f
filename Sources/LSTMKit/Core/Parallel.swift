import Foundation

/// Splits per-row work of the recurrent loops across the machine's cores.
///
/// Within one timestep the batch rows are independent, so large batches run each chunk's h·U product,
/// gate activations and state updates on two (or more) threads, with one hand-off per step; small
/// batches (the tutorial's 5) stay serial: handing a chunk to another thread costs µs, more than a
/// small step takes.
/// Products inside a chunk are single-threaded (`BLAS.enterSingleThreaded()`).
enum Parallel {
    /// Threads to use for row-parallel loops (the core count, at most 4).
    static let maxChunks = Swift.max(1, Swift.min(4, ProcessInfoCores.count))

    /// Below this many elements per step, loops stay on the calling thread.
    static let threshold = 8192

    /// Calls `body(rowRange, chunkIndex)` over a partition of `0..<rows`; chunks run concurrently.
    @inline(__always)
    static func rows(_ rows: Int, elementsPerRow: Int, _ body: (Range<Int>, Int) -> Void) {
        let chunks = rows * elementsPerRow >= threshold ? Swift.min(maxChunks, rows) : 1
        if chunks <= 1 { body(0..<rows, 0); return }
        run(chunks) { c in body((rows * c / chunks)..<(rows * (c + 1) / chunks), c) }
    }

    /// Calls `body(0)`, …, `body(chunks − 1)` concurrently and returns when all are done.
    @inline(__always)
    static func run(_ chunks: Int, _ body: (Int) -> Void) {
        if chunks <= 1 { body(0); return }
        // Products inside the chunks run single-threaded: the chunks already use every core. The mark is
        // per thread, so each chunk sets it on the thread that runs it.
        let chunk: (Int) -> Void = { c in
            BLAS.enterSingleThreaded()
            body(c)
            BLAS.leaveSingleThreaded()
        }
        // Helpers that spin between timesteps (a Dispatch worker sleeps, and waking it cost about as much
        // as the half step it took over); Dispatch when that pool is in use (e.g. another thread's loop).
        if !Kernels.parallelChunks(chunks, chunk) {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: chunk)
        }
    }
}

/// The number of online cores, read once.
enum ProcessInfoCores {
    static let count: Int = ProcessInfo.processInfo.activeProcessorCount
}
