import Foundation

/// The signatures of recently accepted messages, so a captured message sent again is recognised and
/// dropped (jupyter_client's `Session.digest_history` does the same). Bounded: past `capacity` the oldest
/// signatures are forgotten, so memory stays fixed however long the kernel runs. Thread-safe.
public final class SignatureHistory: @unchecked Sendable {
    /// How many signatures are remembered (jupyter_client's default `digest_history_size` is 2^16).
    public let capacity: Int
    private let lock = NSLock()
    private var seen = Set<Data>()
    private var order: [Data] = []
    private var oldest = 0

    /// An empty history remembering up to `capacity` signatures (at least 1).
    public init(capacity: Int = 1 << 16) {
        self.capacity = max(1, capacity)
    }

    /// Records `signature` and returns true the first time it is seen; false for a repeat. An empty
    /// signature (a kernel started without a key signs nothing) is never a repeat.
    public func recordFirstUse(of signature: Data) -> Bool {
        guard !signature.isEmpty else { return true }
        lock.lock()
        defer { lock.unlock() }
        guard seen.insert(signature).inserted else { return false }
        if order.count < capacity {
            order.append(signature)
        } else {
            seen.remove(order[oldest])
            order[oldest] = signature
            oldest = (oldest + 1) % capacity
        }
        return true
    }

    /// How many signatures are remembered now.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return seen.count
    }
}
