import Foundation

/// A fixed-size, zero-initialised Float buffer owned by a class, for forward caches of hot loops.
///
/// Pullback closures capture these, so the cache lives exactly as long as the backward pass needs
/// it, and loops index raw pointers without array bounds checks or copy-on-write checks. Large
/// buffers are recycled through `BufferPool`: a training step allocates the same sizes every time,
/// and fresh pages cost a page fault each (~10% of an LSTM(256) step before pooling).
final class FloatBuffer {
    let count: Int
    let p: UnsafeMutablePointer<Float>

    init(_ count: Int) {
        self.count = count
        p = BufferPool.take(Swift.max(count, 1))
        p.update(repeating: 0, count: Swift.max(count, 1))
    }

    /// A buffer whose contents are garbage until written (recycled memory is not cleared): for
    /// buffers every element of which is written before it is read.
    init(uninitialized count: Int) {
        self.count = count
        p = BufferPool.take(Swift.max(count, 1))
    }

    init(copying t: Tensor) {
        count = t.count
        p = BufferPool.take(Swift.max(count, 1))
        if count == 0 { p.update(repeating: 0, count: 1) }
        t.withUnsafeBufferPointer { src in if count > 0 { p.update(from: src.baseAddress!, count: count) } }
    }

    deinit { BufferPool.give(p, Swift.max(count, 1)) }

    /// Sets every element to zero.
    func zero() { p.update(repeating: 0, count: count) }

    /// A tensor holding a copy of the contents.
    func tensor(_ shape: [Int]) -> Tensor {
        Tensor(uncheckedShape: shape, scalars: Array(UnsafeBufferPointer(start: p, count: count)))
    }
}

/// Free lists of large Float allocations by exact size, capped at 64 MB in total.
enum BufferPool {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    nonisolated(unsafe) private static var pooled = 0
    /// Buffers smaller than this come straight from malloc (which already recycles them well).
    static let minimumCount = 16_384
    /// Most Floats kept for reuse.
    static let capacity = 16 << 20

    /// An uninitialised allocation of `count` Floats.
    static func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count >= minimumCount {
            lock.lock()
            if let p = free[count]?.popLast() {
                pooled -= count
                lock.unlock()
                return p
            }
            lock.unlock()
        }
        // Not cleared: a pooled buffer comes back with old contents too, so callers (`FloatBuffer`) clear
        // what they need cleared.
        return UnsafeMutablePointer<Float>.allocate(capacity: count)
    }

    /// Returns an allocation from `take`, keeping it for reuse while under the cap.
    static func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= minimumCount {
            lock.lock()
            if pooled + count <= capacity {
                free[count, default: []].append(p)
                pooled += count
                lock.unlock()
                return
            }
            lock.unlock()
        }
        p.deallocate()
    }

    /// Frees every pooled buffer (e.g. after training a large model in a notebook).
    static func drain() {
        lock.lock(); defer { lock.unlock() }
        for (_, list) in free { for p in list { p.deallocate() } }
        free = [:]
        pooled = 0
    }
}

extension LSTMKit {
    /// Releases the scratch memory LSTMKit keeps for reuse between training steps (at most 64 MB).
    public static func releaseCachedMemory() { BufferPool.drain() }

    /// The OpenBLAS kernel set that matrix products use (for example "SkylakeX"), with a note in
    /// parentheses when LSTMKit replaced OpenBLAS's own choice, which falls back to its SSE3
    /// ("Prescott") kernels on CPU models newer than the library, or when `OPENBLAS_CORETYPE` chose it.
    public static var blasCore: String { BLAS.coreName }
}

extension Parameter {
    /// `grad[j] += Σ_r rows[r·stride + offset + j]` for j in 0..<n: a bias gradient from (r, n) rows.
    func accumulateColumnSums(_ rows: UnsafePointer<Float>, rowCount: Int, stride: Int, offset: Int = 0, n: Int,
                              gradOffset: Int = 0) {
        grad.withUnsafeMutableBufferPointer { g in
            for r in 0..<rowCount {
                let row = rows + r * stride + offset
                for j in 0..<n { g[gradOffset + j] += row[j] }
            }
        }
    }
}
